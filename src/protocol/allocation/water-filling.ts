// Room: protocol (pure). Weighted water-filling with caps (spec/PROTOCOL.md 7.3), shared by the providers' tiers (7.3)
// and the recipients' water level (7.4).

/** Rising-level steps before the remaining entries are sorted instead (bounds the work at O(n log n) per call). */
const RISING_STEPS = 8;

/**
 * Divides `amount` among entries in proportion to `weights`, no entry above its cap: finds the level L with
 * sum_i min(weight_i * L, cap_i) = amount (or gives every entry its cap when that is less than the amount). Capacity
 * freed by a cap is thereby re-divided among the others. Writes into `out` and returns the total given.
 * Entries with weight 0 or cap 0 receive nothing. `order` is scratch space of at least `count` entries.
 *
 * The level is found without sorting in the usual case: start from the level that ignores the caps, give the entries
 * whose cap is below it their cap, and raise the level over the rest; it only rises (an entry capped at or below the
 * level frees at least its share) and settles once no cap is below it. Inputs that keep saturating entries one by
 * one fall back to a scan in order of cap/weight after a few steps. A round calls this for every capacity slot and
 * every over-asked need, so it allocates nothing.
 */
export function waterFill(
  amount: number,
  count: number,
  weights: Float64Array,
  caps: Float64Array,
  out: Float64Array,
  order: Int32Array,
): number {
  let active = 0;
  let capTotal = 0;
  let weightLeft = 0;
  for (let i = 0; i < count; i++) {
    out[i] = 0;
    if (weights[i]! > 0 && caps[i]! > 0) {
      order[active++] = i;
      capTotal += caps[i]!;
      weightLeft += weights[i]!;
    }
  }
  if (active === 0 || !(amount > 0)) return 0;
  if (capTotal <= amount) {
    for (let k = 0; k < active; k++) out[order[k]!] = caps[order[k]!]!;
    return capTotal;
  }
  // The level is remaining / weightLeft; it is never formed, so a weight far below the others cannot overflow it. Each
  // entry's share is remaining times its weight's fraction weight / weightLeft (at most 1, and exact enough even when
  // every weight is subnormal, where products of weights keep only a few bits). weightLeft is summed afresh instead of
  // subtracted, so small weights are not lost to cancellation.
  let remaining = amount;
  for (let step = 0; step < RISING_STEPS; step++) {
    let kept = 0;
    let keptWeight = 0;
    let freed = 0;
    for (let k = 0; k < active; k++) {
      const i = order[k]!;
      // (The second test guards against rounding with subnormal amounts.)
      if (caps[i]! <= remaining * (weights[i]! / weightLeft) && freed + caps[i]! <= remaining) {
        out[i] = caps[i]!;
        freed += caps[i]!;
      } else {
        order[kept++] = i;
        keptWeight += weights[i]!;
      }
    }
    if (kept === active) {
      // Every entry left is above the level.
      for (let k = 0; k < active; k++) out[order[k]!] = Math.min(caps[order[k]!]!, remaining * (weights[order[k]!]! / weightLeft));
      return amount;
    }
    remaining -= freed;
    weightLeft = keptWeight;
    active = kept;
    // Only by rounding (capTotal > amount leaves an entry below its cap).
    if (active === 0 || !(remaining > 0)) return amount - remaining;
  }
  // Still saturating one entry or a few per step: scan the rest in the order in which they saturate (cap/weight,
  // compared by cross-multiplying the weights' fractions of the largest, so neither overflows nor keeps only a few
  // bits). `out` holds each entry's suffix sum of weights until the entry is given its amount.
  let largest = 0;
  for (let k = 0; k < active; k++) largest = Math.max(largest, weights[order[k]!]!);
  const rest = order.subarray(0, active).sort((x, y) => caps[x]! * (weights[y]! / largest) - caps[y]! * (weights[x]! / largest));
  let suffix = 0;
  for (let k = active - 1; k >= 0; k--) {
    suffix += weights[rest[k]!]!;
    out[rest[k]!] = suffix;
  }
  let k = 0;
  for (; k < active; k++) {
    const i = rest[k]!;
    if (caps[i]! > remaining * (weights[i]! / out[i]!) || caps[i]! > remaining) break;
    out[i] = caps[i]!;
    remaining -= caps[i]!;
  }
  if (k < active) {
    const weightOfRest = out[rest[k]!]!;
    for (; k < active; k++) out[rest[k]!] = Math.min(caps[rest[k]!]!, remaining * (weights[rest[k]!]! / weightOfRest));
  }
  return amount;
}
