/** Runs the program (`src/main.ts`) as `npm start` does, with a chosen environment. */
import { execFile } from "node:child_process"

export interface ProgramRun {
  readonly code: number | null
  readonly output: string
}

export const runProgram = (env: Record<string, string>): Promise<ProgramRun> =>
  new Promise((resolve) => {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([key]) =>
        !/^(DATABASE_URL|SQL_BACKEND|PGSQL_|MYSQL_|MSSQL_|REDIS_)/.test(key)
      )
    )
    execFile(
      process.execPath,
      ["--import", "tsx", "src/main.ts"],
      { env: { ...clean, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === "number" ? error.code : error ? 1 : 0
        resolve({ code, output: `${stdout}\n${stderr}` })
      }
    )
  })
