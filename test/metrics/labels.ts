/**
 * Reading the DAO's metrics for one set of labels.
 */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as MetricLabel from "effect/MetricLabel"
import * as Metrics from "../../src/layers/Metrics.js"

const labelled = (labels: Record<string, string>) =>
  Object.entries(labels).map(([key, value]) => MetricLabel.make(key, value))

/** `calls` of these labels (backend, operation, outcome). */
export const callCount = (labels: Record<string, string>) =>
  Effect.map(Metric.value(Metric.taggedWithLabels(Metrics.calls, labelled(labels))), (state) => state.count)

/** How many times were recorded by `callDuration` for these labels (backend, operation), and their sum. */
export const timed = (labels: Record<string, string>) =>
  Effect.map(
    Metric.value(Metric.taggedWithLabels(Metrics.callDuration, labelled(labels))),
    (state) => ({ count: state.count, sum: state.sum })
  )

/** `retries` of these labels (kind, reason). */
export const retryCount = (labels: Record<string, string>) =>
  Effect.map(Metric.value(Metric.taggedWithLabels(Metrics.retries, labelled(labels))), (state) => state.count)
