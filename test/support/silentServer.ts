/**
 * A TCP server that accepts connections and never answers: a backend that has stopped
 * responding, for drivers that wait on it (a connect, a pool's end).
 */
import * as net from "node:net"

export interface SilentServer {
  readonly port: number
  readonly close: () => Promise<void>
}

export const startSilentServer = async (): Promise<SilentServer> => {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on("error", () => {})
    socket.once("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}
