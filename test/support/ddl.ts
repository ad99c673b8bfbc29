/** DDL compiled for a dialect without a server: the statements a migration would send, as text. */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlConnection from "@effect/sql/SqlConnection"
import type * as Statement from "@effect/sql/Statement"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/** Runs DDL against a connection that only records the SQL it is sent (whitespace collapsed). */
export const compiled = (compiler: Statement.Compiler, ddl: Effect.Effect<void, unknown, SqlClient.SqlClient>) =>
  Effect.gen(function*() {
    const sent: Array<string> = []
    const record = (text: string) => Effect.sync(() => (sent.push(text), []))
    const connection: SqlConnection.Connection = {
      execute: record,
      executeRaw: record,
      executeStream: () => Stream.empty,
      executeValues: record,
      executeUnprepared: record
    }
    const client = yield* SqlClient.make({ acquirer: Effect.succeed(connection), compiler, spanAttributes: [] })
    yield* Effect.provideService(ddl, SqlClient.SqlClient, client)
    return sent.map((text) => text.replace(/\s+/g, " "))
  }).pipe(Effect.provide(Reactivity.layer))
