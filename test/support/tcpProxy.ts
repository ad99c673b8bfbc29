/**
 * A TCP proxy in front of a server that a test can stop and start again, or freeze: an outage
 * (and its end), or a server that stops answering, for one client, without disturbing anyone
 * else using the server.
 */
import * as net from "node:net"

export interface TcpProxy {
  readonly port: number
  /**
   * Stops passing anything on, either way, while every connection stays open: to its clients the
   * server has stopped answering.
   */
  readonly freeze: () => void
  /** Refuses new connections and cuts the open ones. */
  readonly stop: () => Promise<void>
  /** Listens again on the same port. */
  readonly start: () => Promise<void>
}

export const startProxy = async (
  target: { readonly host: string; readonly port: number },
  options: {
    /**
     * Cuts the first connection whose client sends this text, as it sends it (the text is not
     * passed on): a connection lost at that statement, new connections passed on as before.
     */
    readonly cutOn?: string | undefined
  } = {}
): Promise<TcpProxy> => {
  let cutPending = options.cutOn
  const sockets = new Set<net.Socket>()
  let frozen = false
  const track = (socket: net.Socket) => {
    sockets.add(socket)
    socket.once("close", () => sockets.delete(socket))
  }
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host)
    track(client)
    track(upstream)
    const forward = (from: net.Socket, to: net.Socket) =>
      from.on("data", (chunk: Buffer) => {
        if (from === client && cutPending !== undefined && chunk.includes(cutPending)) {
          cutPending = undefined
          client.destroy()
          upstream.destroy()
          return
        }
        if (!frozen) to.write(chunk)
      })
    forward(client, upstream)
    forward(upstream, client)
    client.once("error", () => upstream.destroy())
    upstream.once("error", () => client.destroy())
    client.once("close", () => upstream.destroy())
    upstream.once("close", () => client.destroy())
  })
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject)
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject)
        const address = server.address()
        resolve(typeof address === "object" && address !== null ? address.port : port)
      })
    })
  const port = await listen(0)
  return {
    port,
    freeze: () => {
      frozen = true
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      }),
    start: () => listen(port).then(() => undefined)
  }
}

/** A port nothing listens on. */
export const closedPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
