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
  let remaining = amount;
  let level = remaining / weightLeft;
  for (let step = 0; step < RISING_STEPS; step++) {
    let kept = 0;
    for (let k = 0; k < active; k++) {
      const i = order[k]!;
      if (caps[i]! <= weights[i]! * level) {
        out[i] = caps[i]!;
        remaining -= caps[i]!;
        weightLeft -= weights[i]!;
      } else {
        order[kept++] = i;
      }
    }
    if (kept === active) {
      // Every entry left is above the level.
      for (let k = 0; k < active; k++) out[order[k]!] = weights[order[k]!]! * level;
      return amount;
    }
    active = kept;
    // Only by rounding (capTotal > amount leaves an entry below its cap).
    if (active === 0 || !(weightLeft > 0)) return amount - remaining;
    level = remaining / weightLeft;
  }
  // Still saturating one entry or a few per step: scan the rest in the order in which they saturate.
  const rest = order.subarray(0, active).sort((x, y) => caps[x]! / weights[x]! - caps[y]! / weights[y]!);
  let k = 0;
  for (; k < rest.length; k++) {
    const i = rest[k]!;
    if (caps[i]! > (remaining * weights[i]!) / weightLeft) break;
    out[i] = caps[i]!;
    remaining -= caps[i]!;
    weightLeft -= weights[i]!;
  }
  level = remaining / weightLeft;
  for (; k < rest.length; k++) out[rest[k]!] = Math.min(caps[rest[k]!]!, weights[rest[k]!]! * level);
  return amount;
}

