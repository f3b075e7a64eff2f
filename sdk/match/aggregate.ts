/**
 * Template hits -> one candidate per identity (its nearest template): a person enrolled with five
 * templates must count once when looking for the nearest OTHER identity.
 */
export interface TemplateHit {
  label: number;
  distance: number;
}

export interface IdentityHit {
  identityId: string;
  templateId: number;
  distance: number;
}

/** `ownerOf` maps a template id to its identity (undefined = unknown label, skipped). Output ascending. */
export function aggregateByIdentity(hits: readonly TemplateHit[], ownerOf: (label: number) => string | undefined, k = Infinity): IdentityHit[] {
  const best = new Map<string, IdentityHit>();
  for (const h of hits) {
    const id = ownerOf(h.label);
    if (id === undefined) continue;
    const cur = best.get(id);
    if (cur === undefined || h.distance < cur.distance) best.set(id, { identityId: id, templateId: h.label, distance: h.distance });
  }
  const out = [...best.values()].sort((a, b) => a.distance - b.distance || (a.identityId < b.identityId ? -1 : 1));
  return out.length > k ? out.slice(0, k) : out;
}
