// Room: protocol (pure). Weighted water-filling with caps (spec/PROTOCOL.md 7.3).

/**
 * Divides `amount` among entries in proportion to `weights`, no entry above its cap: finds the level L with
 * sum_i min(weight_i * L, cap_i) = amount (or gives every entry its cap when that is less than the amount). Capacity
 * freed by a cap is thereby re-divided among the others. Writes into `out` and returns the total given.
 * Entries with weight 0 or cap 0 receive nothing. `order` is scratch space of at least `count` entries.
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
  for (let i = 0; i < count; i++) {
    out[i] = 0;
    if (weights[i]! > 0 && caps[i]! > 0) {
      order[active++] = i;
      capTotal += caps[i]!;
    }
  }
  if (active === 0 || !(amount > 0)) return 0;
  if (capTotal <= amount) {
    for (let k = 0; k < active; k++) out[order[k]!] = caps[order[k]!]!;
    return capTotal;
  }
  // Entries fill in order of cap/weight: those that saturate first hand their share to the rest.
  const sorted = Array.from(order.subarray(0, active)).sort((x, y) => caps[x]! / weights[x]! - caps[y]! / weights[y]!);
  let remaining = amount;
  let weightLeft = 0;
  for (const i of sorted) weightLeft += weights[i]!;
  let k = 0;
  for (; k < sorted.length; k++) {
    const i = sorted[k]!;
    const share = (remaining * weights[i]!) / weightLeft;
    if (caps[i]! > share) break;
    out[i] = caps[i]!;
    remaining -= caps[i]!;
    weightLeft -= weights[i]!;
  }
  const level = remaining / weightLeft;
  for (; k < sorted.length; k++) {
    const i = sorted[k]!;
    out[i] = Math.min(caps[i]!, weights[i]! * level);
  }
  return amount;
}
