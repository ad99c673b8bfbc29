/**
 * A TCP proxy in front of Redis that a test can stop and start again: a Redis outage (and its
 * end) for one client, without disturbing anyone else using the server.
 */
import * as net from "node:net"

export interface RedisProxy {
  readonly port: number
  /** Refuses new connections and cuts the open ones. */
  readonly stop: () => Promise<void>
  /** Listens again on the same port. */
  readonly start: () => Promise<void>
}

export const startRedisProxy = async (
  target: { readonly host: string; readonly port: number }
): Promise<RedisProxy> => {
  const sockets = new Set<net.Socket>()
  const track = (socket: net.Socket) => {
    sockets.add(socket)
    socket.once("close", () => sockets.delete(socket))
  }
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host)
    track(client)
    track(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
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
