//! The live board: every committed change to an incident or a unit, numbered in one sequence,
//! kept in a ring and pushed to every open workbench as server-sent events. A connection that
//! drops resumes with `Last-Event-ID` and is replayed what it missed from the ring; one that
//! fell further behind than the ring reaches is told to reload (`reset`) rather than shown a
//! board with holes. A subscriber too slow for the live channel catches up from the ring the
//! same way, so nothing is skipped.
//!
//! The sequence belongs to this server process: each process serves the changes its own
//! writes make.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use ningan_store::Scope;
use serde::Serialize;
use tokio::sync::broadcast;

/// Changes kept for replay: at 1,000 position reports a second, over a minute and a half.
pub const KEPT: usize = 100_000;

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub seq: u64,
    /// `incident` or `unit`.
    pub kind: &'static str,
    pub id: i64,
    /// Whose it is, for filtering by the subscriber's scope; not sent.
    #[serde(skip)]
    pub unit_path: String,
    pub body: serde_json::Value,
}

struct Ring {
    next: u64,
    kept: VecDeque<Arc<Change>>,
}

pub struct Board {
    ring: Mutex<Ring>,
    live: broadcast::Sender<Arc<Change>>,
}

impl Default for Board {
    fn default() -> Self {
        Board { ring: Mutex::new(Ring { next: 1, kept: VecDeque::new() }), live: broadcast::channel(8192).0 }
    }
}

/// The subscriber's last event is older than anything kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gone;

impl Board {
    /// Numbers a change and sends it to every subscriber, in order.
    pub fn publish(&self, kind: &'static str, id: i64, unit_path: &str, body: serde_json::Value) -> u64 {
        let mut ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        let seq = ring.next;
        ring.next += 1;
        let change = Arc::new(Change { seq, kind, id, unit_path: unit_path.to_string(), body });
        ring.kept.push_back(change.clone());
        if ring.kept.len() > KEPT {
            ring.kept.pop_front();
        }
        // Sent under the lock, so subscribers see the sequence in order; no receivers is fine.
        let _ = self.live.send(change);
        seq
    }

    /// The last sequence number given out (0 before any change).
    pub fn head(&self) -> u64 {
        self.ring.lock().map_or(0, |r| r.next - 1)
    }

    /// Everything after `last`, if the ring still reaches back that far. A `last` beyond
    /// the head is from before this process started (its sequence began again): gone too.
    pub fn since(&self, last: u64) -> Result<Vec<Arc<Change>>, Gone> {
        let ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        let oldest = ring.kept.front().map_or(ring.next, |c| c.seq);
        if last > ring.next - 1 || last + 1 < oldest {
            return Err(Gone);
        }
        Ok(ring.kept.iter().filter(|c| c.seq > last).cloned().collect())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.live.subscribe()
    }
}

struct Reader {
    board: Arc<Board>,
    live: broadcast::Receiver<Arc<Change>>,
    queued: VecDeque<Arc<Change>>,
    last: u64,
    scope: Scope,
    done: bool,
}

fn event(c: &Change) -> Event {
    Event::default()
        .id(c.seq.to_string())
        .event(c.kind)
        .json_data(&c.body)
        .unwrap_or_else(|_| Event::default().id(c.seq.to_string()).event("reset"))
}

fn reset() -> Event {
    Event::default().event("reset").data("reload")
}

/// The event stream for a subscriber in `scope` that saw everything up to `last`.
pub fn stream(board: Arc<Board>, scope: Scope, last: u64) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Subscribe before reading the ring, so nothing published in between is missed; the
    // sequence numbers drop what arrives twice.
    let live = board.subscribe();
    let replay = board.since(last);
    let start = Reader {
        queued: replay.as_ref().map(|r| r.iter().cloned().collect()).unwrap_or_default(),
        done: replay.is_err(),
        board,
        live,
        last,
        scope,
    };
    let gone_at_start = start.done;
    let events = futures_util::stream::unfold((start, gone_at_start), |(mut r, mut reset_due)| async move {
        loop {
            if reset_due {
                r.done = true;
                return Some((Ok(reset()), (r, false)));
            }
            if r.done {
                return None;
            }
            if let Some(c) = r.queued.pop_front() {
                if c.seq <= r.last {
                    continue;
                }
                r.last = c.seq;
                if !r.scope.contains(&c.unit_path) {
                    continue;
                }
                let e = event(&c);
                return Some((Ok(e), (r, false)));
            }
            match r.live.recv().await {
                Ok(c) => r.queued.push_back(c),
                Err(broadcast::error::RecvError::Lagged(_)) => match r.board.since(r.last) {
                    Ok(missed) => r.queued.extend(missed),
                    Err(Gone) => reset_due = true,
                },
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_reaches_back_as_far_as_the_ring_and_no_further() {
        let board = Board::default();
        assert_eq!(board.since(0).map(|v| v.len()), Ok(0));
        for i in 0..5 {
            board.publish("unit", i, "/330200/", serde_json::json!({"i": i}));
        }
        assert_eq!(board.head(), 5);
        let seqs: Vec<u64> = board.since(2).unwrap().iter().map(|c| c.seq).collect();
        assert_eq!(seqs, [3, 4, 5]);
        assert_eq!(board.since(5).map(|v| v.len()), Ok(0));
        let mut ring = board.ring.lock().unwrap();
        ring.kept.pop_front();
        ring.kept.pop_front();
        drop(ring);
        assert_eq!(board.since(0).map(|v| v.len()), Err(Gone), "seq 1 and 2 are no longer kept");
        assert_eq!(board.since(2).map(|v| v.len()), Ok(3), "but after 2 everything is");
        assert_eq!(board.since(99).map(|v| v.len()), Err(Gone), "an id from before a restart");
    }
}
