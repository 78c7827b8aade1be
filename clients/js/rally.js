/*
 * rally.js — a small browser client for Rally's WebSocket protocol (subprotocol rally.v1).
 * No build step, no dependencies: load it with <script src="/rally.js"></script> and use
 * `new Rally.Client({...})`. The protocol is specified in protocol/README.md.
 *
 * What it does for you:
 *  - signs in with a token (a string, or an async function returning a fresh one);
 *  - keeps each room's position (epoch, id) from event pushes received in order — never
 *    from replies — and sends it on reconnect, so the server replays exactly what was missed;
 *  - reconnects after transient closes (4000–4099, network loss) with jittered backoff, gets a
 *    new token after 4101, and stops after 4100/4102/4103;
 *  - retries unacknowledged sends after a reconnect with the same client message id, so
 *    nothing is posted twice.
 */
(function (global) {
  'use strict';

  const TRANSIENT = (code) => code === 1001 || code === 1006 || code === 1011 || code === 1012 ||
    (code >= 4000 && code <= 4099);

  function randomId() {
    if (global.crypto && global.crypto.randomUUID) return global.crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function tokenExpiry(token) {
    try {
      const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      return JSON.parse(atob(payload)).exp || null;
    } catch (e) {
      return null;
    }
  }

  class Client {
    /**
     * options.url        ws(s)://host/ws (default: this page's host)
     * options.token      a JWT string, or an async function returning one
     * options.on         handlers: event(ev), roomJoined(state), roomLeft(room),
     *                    reset(room) (history must be reloaded: recovery was not possible),
     *                    status(text), connected(reply), error(err)
     */
    constructor(options) {
      const loc = global.location;
      this.url = options.url || ((loc.protocol === 'https:' ? 'wss://' : 'ws://') + loc.host + '/ws');
      this.tokenSource = options.token;
      this.on = options.on || {};
      this.positions = {};        // room -> {epoch, id}
      this.rooms = {};            // room -> RoomState
      this.pending = new Map();   // command id -> {frame, resolve, reject, retry}
      this.nextId = 1;
      this.backoff = 500;
      this.stopped = false;
      this.ws = null;
      this.user = null;
      this.refreshTimer = null;
    }

    emit(name, value) {
      const handler = this.on[name];
      if (handler) {
        try { handler(value); } catch (e) { console.error('rally handler', name, e); }
      }
    }

    async token() {
      return typeof this.tokenSource === 'function' ? await this.tokenSource() : this.tokenSource;
    }

    /** Opens the connection and signs in; resolves with the connect reply. */
    async connect() {
      this.stopped = false;
      const token = await this.token();
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(this.url, 'rally.v1');
        this.ws = ws;
        this.emit('status', 'connecting');
        ws.onopen = () => {
          const positions = Object.entries(this.positions).map(([room, p]) => ({ room, epoch: p.epoch, id: p.id }));
          const frame = { cmd: 'connect', token, client: 'rally.js/1' };
          if (positions.length) frame.positions = positions;
          this.command(frame, false).then((reply) => {
            this.backoff = 500;
            this.user = reply.user;
            for (const state of reply.rooms) this.acceptRoom(state);
            this.scheduleRefresh(token);
            this.emit('status', 'connected');
            this.emit('connected', reply);
            this.resendPending();
            resolve(reply);
          }, reject);
        };
        ws.onmessage = (message) => this.receive(message.data);
        ws.onclose = (close) => this.closed(close.code, close.reason, reject);
      });
    }

    acceptRoom(state) {
      this.rooms[state.room] = state;
      const known = this.positions[state.room];
      if (state.recovered === false || (known && known.epoch !== state.epoch)) {
        // Nothing will be replayed for this room: start from its tip and reload history.
        this.positions[state.room] = { epoch: state.epoch, id: state.last };
        this.emit('reset', state.room);
      } else if (!known) {
        this.positions[state.room] = { epoch: state.epoch, id: state.last };
      }
    }

    receive(data) {
      let frame;
      try { frame = JSON.parse(data); } catch (e) { return; }
      if ('ok' in frame) {
        const waiter = this.pending.get(frame.id);
        if (!waiter) return;
        this.pending.delete(frame.id);
        if (frame.ok) waiter.resolve(frame);
        else waiter.reject(Object.assign(new Error(frame.error.message), frame.error));
        return;
      }
      switch (frame.push) {
        case 'event': {
          const position = this.positions[frame.room];
          // Advance only in order: an event whose prev is not our position means a gap.
          if (position && position.epoch === frame.epoch && position.id !== frame.prev) {
            if (position.id === frame.id) return;  // already seen
            this.emit('status', 'gap detected, reconnecting');
            this.ws.close(4003, 'gap');
            return;
          }
          this.positions[frame.room] = { epoch: frame.epoch, id: frame.id };
          this.emit('event', frame);
          break;
        }
        case 'room.joined':
          this.acceptRoom(frame.room);
          this.emit('roomJoined', frame.room);
          break;
        case 'room.left':
          delete this.rooms[frame.room];
          delete this.positions[frame.room];
          this.emit('roomLeft', frame.room);
          break;
        default:
          break;  // unknown pushes are ignored (forward compatibility)
      }
    }

    closed(code, reason, reject) {
      this.ws = null;
      clearTimeout(this.refreshTimer);
      for (const [id, waiter] of this.pending) {
        if (!waiter.retry) { this.pending.delete(id); waiter.reject(new Error('connection closed')); }
      }
      if (reject) reject(new Error('closed ' + code + ' ' + reason));
      if (this.stopped) { this.emit('status', 'closed'); return; }
      if (code === 4101 || TRANSIENT(code) || code === 1000 || code === 1005) {
        const delay = this.backoff * (0.5 + Math.random());
        this.backoff = Math.min(this.backoff * 2, 30000);
        this.emit('status', 'disconnected (' + code + '), retrying in ' + Math.round(delay / 100) / 10 + ' s');
        setTimeout(() => { this.connect().catch((e) => this.emit('error', e)); }, delay);
      } else {
        // Not coming back on our own: nothing pending will ever be answered.
        this.stopped = true;
        for (const [id, waiter] of this.pending) { this.pending.delete(id); waiter.reject(new Error('connection closed (' + code + ')')); }
        this.emit('status', 'closed by the server (' + code + ' ' + reason + ')');
        this.emit('error', new Error('closed ' + code + ' ' + reason));
      }
    }

    scheduleRefresh(token) {
      if (typeof this.tokenSource !== 'function') return;
      const exp = tokenExpiry(token);
      if (!exp) return;
      const inMs = Math.max(5000, exp * 1000 - Date.now() - 60000);
      this.refreshTimer = setTimeout(async () => {
        try { await this.command({ cmd: 'refresh', token: await this.token() }); } catch (e) { this.emit('error', e); }
      }, inMs);
    }

    /**
     * Sends a command; resolves with the reply or rejects with the error (code, reason).
     * Replies to send/dm/edit/delete carry the new event's id as `event`.
     */
    command(frame, retry) {
      const id = String(this.nextId++);
      const full = Object.assign({ id }, frame);
      if (this.stopped) return Promise.reject(new Error('not connected'));
      return new Promise((resolve, reject) => {
        this.pending.set(id, { frame: full, resolve, reject, retry: !!retry });
        if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(full));
      });
    }

    resendPending() {
      for (const waiter of this.pending.values()) {
        if (waiter.retry && this.ws) this.ws.send(JSON.stringify(waiter.frame));
      }
    }

    send(room, text, options) {
      const frame = { cmd: 'send', room, text, cmid: randomId() };
      if (options && options.replyTo) frame.replyTo = options.replyTo;
      return this.command(frame, true);
    }

    dm(to, text) { return this.command({ cmd: 'dm', to, text, cmid: randomId() }, true); }
    edit(room, target, text) { return this.command({ cmd: 'edit', room, target, text }); }
    remove(room, target) { return this.command({ cmd: 'delete', room, target }); }
    read(room, event) { return this.command({ cmd: 'read', room, event }); }
    listRooms() { return this.command({ cmd: 'rooms' }); }
    block(user) { return this.command({ cmd: 'block', user }); }
    unblock(user) { return this.command({ cmd: 'unblock', user }); }
    /** Hides a direct room from the room list until its next message. */
    hide(room) { return this.command({ cmd: 'hide', room }); }

    history(room, options) {
      const frame = Object.assign({ cmd: 'history', room }, options || {});
      return this.command(frame);
    }

    close() {
      this.stopped = true;
      if (this.ws) this.ws.close(1000, 'bye');
    }
  }

  global.Rally = { Client };
})(typeof window !== 'undefined' ? window : globalThis);
