/**
 * The retained "last decision" summary on `.../last-decision`: what Home Assistant's sensors show,
 * and what they show again right after HA restarts. It is a state, not a decision: it has its own
 * topic and shape (no `decision` field), so nothing that acts on decisions can take it for one, and
 * a replay of it opens nothing.
 *
 * It follows the decision: a name only on a grant. A deny (a refused person or a photo held to
 * the camera) never shows who was matched, and an unmatched face is a `stranger`, never HA's own
 * `unknown` ("no data").
 */
import { PRESENTATION_ATTACK, type DecisionMessage } from './decision-message.ts';

/** The door states, in HA's enum-sensor order. */
export const DOOR_STATES = ['grant', 'deny', 'stranger', 'presentation_attack'] as const;
export type DoorState = (typeof DOOR_STATES)[number];

/** `person` when nobody was admitted: the state itself, so it never reads as a name. */
export const NOT_ADMITTED = { deny: 'denied', stranger: 'stranger', presentation_attack: 'presentation_attack' } as const;

export interface LastDecision {
  state: DoorState;
  /** The admitted identity on a grant; otherwise `denied`, `stranger` or `presentation_attack`. */
  person: string;
  /** Why a deny: the matcher's reason or `presentation_attack`; null otherwise. */
  reason: string | null;
  liveness: number | null;
  distance: number | null;
  /** The decision's id and time (the decision itself is on `.../decision`). */
  decision_id: string;
  ts: string;
}

export function doorState(d: Pick<DecisionMessage, 'decision' | 'reason'>): DoorState {
  if (d.decision === 'grant') return 'grant';
  if (d.decision === 'unknown') return 'stranger';
  return d.reason === PRESENTATION_ATTACK ? 'presentation_attack' : 'deny';
}

export function lastDecision(d: DecisionMessage): LastDecision {
  const state = doorState(d);
  return {
    state,
    person: state === 'grant' && d.identity ? d.identity : NOT_ADMITTED[state === 'grant' ? 'deny' : state],
    reason: d.decision === 'deny' ? d.reason ?? null : null,
    liveness: d.liveness ?? null,
    distance: d.distance,
    decision_id: d.id,
    ts: d.ts,
  };
}
