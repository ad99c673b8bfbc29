/**
 * A mining region (a load zone, a dump, a haul road ...) an asset is tracked against, in one of
 * its versions: regions are redrawn over time and every version is kept.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category models
 */
export const RegionKind = Schema.Literal("load", "dump", "crusher", "stockpile", "haul_road", "workshop", "restricted")

/**
 * The outline of a region: `[longitude, latitude]` points, finite numbers (JSON writes NaN as
 * `null`, and a region stored so could never be read again).
 *
 * @since 0.1.0
 * @category models
 */
export const Boundary = Schema.Array(Schema.Tuple(Schema.Finite, Schema.Finite))

/**
 * @since 0.1.0
 * @category models
 */
export const Region = Schema.Struct({
  regionId: Schema.String,
  /** Increases with each redrawing; the highest is the region's current version. */
  version: Schema.Int.pipe(Schema.positive()),
  name: Schema.String,
  kind: RegionKind,
  boundary: Boundary,
  validFrom: Schema.DateFromSelf
})

/**
 * @since 0.1.0
 * @category models
 */
export type Region = typeof Region.Type

/**
 * A region version as stored in its Redis hash, where every field is a string:
 * `region_id`, `version`, `name`, `kind`, `boundary` (JSON) and `valid_from` (ISO 8601).
 *
 * @since 0.1.0
 * @category models
 */
export const RegionHash: Schema.Schema<Region, {
  readonly region_id: string
  readonly version: string
  readonly name: string
  readonly kind: string
  readonly boundary: string
  readonly valid_from: string
}> = Schema.Struct({
  regionId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("region_id")),
  version: Schema.NumberFromString.pipe(Schema.int(), Schema.positive()),
  name: Schema.String,
  kind: Schema.String.pipe(Schema.compose(RegionKind)),
  boundary: Schema.parseJson(Boundary),
  validFrom: Schema.propertySignature(Schema.Date).pipe(Schema.fromKey("valid_from"))
})
