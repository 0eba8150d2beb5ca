import type { Session } from './session.js';

/**
 * WATCH bookkeeping: which sessions watch which keys, and which of them saw a watched key
 * change (written, deleted, expired, flushed) since — their next EXEC fails.
 */
export class WatchRegistry {
  private readonly byKey = new Map<string, Set<Session>>();
  private readonly bySession = new Map<Session, { readonly keys: Map<string, { db: number; key: string }>; dirty: boolean }>();

  watch(session: Session, db: number, key: string): void {
    let state = this.bySession.get(session);
    if (state === undefined) {
      state = { keys: new Map(), dirty: false };
      this.bySession.set(session, state);
      session.onClose(() => this.unwatch(session));
    }
    const id = watchId(db, key);
    if (state.keys.has(id)) return;
    state.keys.set(id, { db, key });
    let sessions = this.byKey.get(id);
    if (sessions === undefined) {
      sessions = new Set();
      this.byKey.set(id, sessions);
    }
    sessions.add(session);
  }

  /** The keys `session` watches. */
  watched(session: Session): Array<{ db: number; key: string }> {
    return [...(this.bySession.get(session)?.keys.values() ?? [])];
  }

  isDirty(session: Session): boolean {
    return this.bySession.get(session)?.dirty ?? false;
  }

  unwatch(session: Session): void {
    const state = this.bySession.get(session);
    if (state === undefined) return;
    this.bySession.delete(session);
    for (const id of state.keys.keys()) {
      const sessions = this.byKey.get(id);
      sessions?.delete(session);
      if (sessions?.size === 0) this.byKey.delete(id);
    }
  }

  /** A key changed. */
  touch(db: number, key: string): void {
    const sessions = this.byKey.get(watchId(db, key));
    if (sessions === undefined) return;
    for (const session of sessions) {
      const state = this.bySession.get(session);
      if (state !== undefined) state.dirty = true;
    }
  }

  /** A database is about to be emptied: watched keys that exist in it change. */
  touchFlushed(db: number, exists: (key: string) => boolean): void {
    for (const state of this.bySession.values()) {
      for (const watched of state.keys.values()) {
        if (watched.db === db && exists(watched.key)) state.dirty = true;
      }
    }
  }
}

function watchId(db: number, key: string): string {
  return `${db}\u0000${key}`;
}
