//! The per-backend session table: what the connection lines said about a
//! backend, for the records of that backend that do not say it themselves.

use std::collections::{BTreeMap, HashMap};

use phiwatch_event::Timestamp;

/// What is known of one backend's session.
#[derive(Debug, Default)]
pub(crate) struct Session {
    /// `%c`-style id: hex start seconds `.` hex pid.
    pub id: String,
    pub host: Option<String>,
    pub port: Option<i64>,
    pub user: Option<String>,
    pub db: Option<String>,
    pub app: Option<String>,
    seq: u64,
}

/// Sessions by backend pid, bounded: the oldest is evicted when full.
#[derive(Debug)]
pub(crate) struct Sessions {
    map: HashMap<i64, Session>,
    order: BTreeMap<u64, i64>,
    seq: u64,
    cap: usize,
}

/// The default bound.
pub(crate) const CAPACITY: usize = 100_000;

impl Sessions {
    pub(crate) fn new(cap: usize) -> Sessions {
        Sessions {
            map: HashMap::new(),
            order: BTreeMap::new(),
            seq: 0,
            cap: cap.max(1),
        }
    }

    /// Starts a new session for `pid` (replacing an old one of that pid).
    pub(crate) fn start(&mut self, pid: i64, at: Timestamp) -> &mut Session {
        self.end(pid);
        while self.map.len() >= self.cap {
            match self.order.pop_first() {
                Some((_, old)) => {
                    self.map.remove(&old);
                }
                None => break,
            }
        }
        self.seq += 1;
        self.order.insert(self.seq, pid);
        let s = Session {
            id: format!("{:x}.{:x}", at.as_secs(), pid),
            seq: self.seq,
            ..Session::default()
        };
        self.map.entry(pid).or_insert(s)
    }

    /// The session of `pid`, started now when unknown.
    pub(crate) fn get_or_start(&mut self, pid: i64, at: Timestamp) -> &mut Session {
        if self.map.contains_key(&pid) {
            // Checked just above; `start` is never reached for a known pid.
            return self.map.entry(pid).or_default();
        }
        self.start(pid, at)
    }

    pub(crate) fn get(&self, pid: i64) -> Option<&Session> {
        self.map.get(&pid)
    }

    /// Forgets the session of `pid`.
    pub(crate) fn end(&mut self, pid: i64) {
        if let Some(s) = self.map.remove(&pid) {
            self.order.remove(&s.seq);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_oldest_evicted() {
        let mut s = Sessions::new(2);
        s.start(1, Timestamp::EPOCH);
        s.start(2, Timestamp::EPOCH);
        s.start(3, Timestamp::EPOCH);
        assert_eq!(s.len(), 2);
        assert!(s.get(1).is_none());
        s.end(2);
        assert_eq!(s.len(), 1);
        s.start(3, Timestamp::from_secs(16).unwrap()).user = Some("u".into());
        assert_eq!(s.get(3).unwrap().id, "10.3");
        assert_eq!(s.len(), 1);
    }
}
