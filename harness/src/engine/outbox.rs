//! Outgoing octets: frames are encoded lazily (a 16 MiB payload is generated and masked
//! piece by piece), chops become separate writes, and small unsynchronized frames share a
//! write the way a buffered transport would send them.

use std::collections::VecDeque;
use std::sync::Arc;

use wsspec_cases::Payload;

use crate::codec::apply_mask;

/// Largest write handed to the socket at once.
const MAX_WRITE: usize = 64 * 1024;

/// A window of a (possibly repeated-pattern) payload.
#[derive(Debug, Clone)]
pub struct PayloadSlice {
    payload: Arc<Payload>,
    start: usize,
    len: usize,
}

impl PayloadSlice {
    /// The whole payload.
    pub fn whole(payload: Arc<Payload>) -> Self {
        let len = payload.len();
        PayloadSlice {
            payload,
            start: 0,
            len,
        }
    }

    /// `len` octets from `start`.
    pub fn window(payload: Arc<Payload>, start: usize, len: usize) -> Self {
        PayloadSlice {
            payload,
            start,
            len,
        }
    }

    /// Length in octets.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the slice is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Append the octets `[from, from + n)` of this slice to `out`.
    pub fn copy_to(&self, from: usize, n: usize, out: &mut Vec<u8>) {
        let begin = self.start + from;
        match &*self.payload {
            Payload::Bytes(b) => out.extend_from_slice(&b[begin..begin + n]),
            Payload::Repeat { pattern, .. } => {
                if pattern.is_empty() {
                    out.resize(out.len() + n, 0);
                    return;
                }
                let mut pos = begin % pattern.len();
                let mut left = n;
                while left > 0 {
                    let take = (pattern.len() - pos).min(left);
                    out.extend_from_slice(&pattern[pos..pos + take]);
                    left -= take;
                    pos = 0;
                }
            }
        }
    }

    /// The full octets (for small payloads and logs).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len);
        self.copy_to(0, self.len, &mut v);
        v
    }
}

/// One queued transmission.
#[derive(Debug)]
pub struct Item {
    header: Vec<u8>,
    payload: Option<PayloadSlice>,
    key: Option<[u8; 4]>,
    /// Octets of header + payload already produced.
    produced: usize,
    chop: Option<usize>,
    sync: bool,
}

impl Item {
    /// Raw octets.
    pub fn bytes(bytes: Vec<u8>, chop: Option<usize>, sync: bool) -> Self {
        Item {
            header: bytes,
            payload: None,
            key: None,
            produced: 0,
            chop,
            sync,
        }
    }

    /// An encoded header followed by a payload masked with `key`.
    pub fn frame(
        header: Vec<u8>,
        payload: PayloadSlice,
        key: Option<[u8; 4]>,
        chop: Option<usize>,
        sync: bool,
    ) -> Self {
        Item {
            header,
            payload: Some(payload),
            key,
            produced: 0,
            chop,
            sync,
        }
    }

    fn total(&self) -> usize {
        self.header.len() + self.payload.as_ref().map_or(0, PayloadSlice::len)
    }

    /// Total octets of this transmission.
    pub fn len(&self) -> usize {
        self.total()
    }

    /// Whether the transmission has no octets.
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// The octets `[at, at + n)` as they will go on the wire (for logs), without consuming.
    pub fn preview(&self, at: usize, n: usize) -> Vec<u8> {
        let end = (at + n).min(self.total());
        let mut out = Vec::with_capacity(end.saturating_sub(at));
        if at < self.header.len() {
            out.extend_from_slice(&self.header[at..end.min(self.header.len())]);
        }
        if let Some(p) = &self.payload {
            let from = at.max(self.header.len()) - self.header.len();
            let to = end.saturating_sub(self.header.len());
            if to > from {
                let start = out.len();
                p.copy_to(from, to - from, &mut out);
                if let Some(key) = self.key {
                    apply_mask(&mut out[start..], key, from);
                }
            }
        }
        out
    }

    fn remaining(&self) -> usize {
        self.total() - self.produced
    }

    /// Append up to `max` next octets to `out`.
    fn produce(&mut self, out: &mut Vec<u8>, max: usize) {
        let mut left = max.min(self.remaining());
        if self.produced < self.header.len() {
            let take = (self.header.len() - self.produced).min(left);
            out.extend_from_slice(&self.header[self.produced..self.produced + take]);
            self.produced += take;
            left -= take;
        }
        if left > 0 {
            if let Some(p) = &self.payload {
                let from = self.produced - self.header.len();
                let at = out.len();
                p.copy_to(from, left, out);
                if let Some(key) = self.key {
                    apply_mask(&mut out[at..], key, from);
                }
                self.produced += left;
            }
        }
    }
}

/// The queue of transmissions and the write in progress.
#[derive(Debug, Default)]
pub struct Outbox {
    items: VecDeque<Item>,
    chunk: Vec<u8>,
    pos: usize,
    /// The pending chunk finishes a chopped item.
    chunk_ends_paced: bool,
    /// A paced item just went out completely and more items wait.
    paced_boundary: bool,
}

impl Outbox {
    /// An empty outbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queue a transmission.
    pub fn push(&mut self, item: Item) {
        self.items.push_back(item);
    }

    /// Whether nothing is left to write.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.chunk.len() && self.items.is_empty()
    }

    /// Drop everything queued (the connection is gone).
    pub fn clear(&mut self) {
        self.items.clear();
        self.chunk.clear();
        self.pos = 0;
        self.chunk_ends_paced = false;
        self.paced_boundary = false;
    }

    /// The octets of the next write, preparing them if needed; empty when idle.
    pub fn pending(&mut self) -> &[u8] {
        if self.pos >= self.chunk.len() {
            self.chunk.clear();
            self.pos = 0;
            self.fill();
        }
        &self.chunk[self.pos..]
    }

    /// Record that `n` octets of the pending write went out.
    pub fn advance(&mut self, n: usize) {
        self.pos += n;
        if self.pos >= self.chunk.len() && self.chunk_ends_paced {
            self.chunk_ends_paced = false;
            self.paced_boundary = !self.items.is_empty();
        }
    }

    /// Whether a chopped transmission just completed with more queued: the peer should get
    /// a moment to act on the complete frame before the next one starts, as it does under
    /// Autobahn, whose reactor writes each chop in its own loop iteration. (Synchronous
    /// whole frames go out back to back there, and so they do here.)
    pub fn take_paced_boundary(&mut self) -> bool {
        std::mem::take(&mut self.paced_boundary)
    }

    fn fill(&mut self) {
        self.chunk_ends_paced = false;
        while let Some(front) = self.items.front_mut() {
            if let Some(n) = front.chop {
                // A chop is one write of its own.
                if self.chunk.is_empty() {
                    front.produce(&mut self.chunk, n);
                    if front.remaining() == 0 {
                        self.items.pop_front();
                        self.chunk_ends_paced = true;
                    }
                }
                return;
            }
            if front.sync && !self.chunk.is_empty() {
                return;
            }
            let room = MAX_WRITE.saturating_sub(self.chunk.len());
            if room == 0 {
                return;
            }
            front.produce(&mut self.chunk, room);
            let done = front.remaining() == 0;
            let sync = front.sync;
            if done {
                self.items.pop_front();
            }
            if sync || !done {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(o: &mut Outbox) -> Vec<Vec<u8>> {
        let mut writes = Vec::new();
        loop {
            let w = o.pending().to_vec();
            if w.is_empty() {
                return writes;
            }
            o.advance(w.len());
            writes.push(w);
        }
    }

    #[test]
    fn small_frames_share_a_write_unless_sync() {
        let mut o = Outbox::new();
        o.push(Item::bytes(vec![1, 2], None, false));
        o.push(Item::bytes(vec![3], None, false));
        o.push(Item::bytes(vec![4], None, true));
        o.push(Item::bytes(vec![5], None, false));
        assert_eq!(drain(&mut o), vec![vec![1, 2, 3], vec![4], vec![5]]);
    }

    #[test]
    fn chops_are_separate_writes() {
        let mut o = Outbox::new();
        o.push(Item::bytes(vec![0], None, false));
        o.push(Item::bytes(vec![1, 2, 3, 4, 5], Some(2), false));
        o.push(Item::bytes(vec![6], None, false));
        assert_eq!(
            drain(&mut o),
            vec![vec![0], vec![1, 2], vec![3, 4], vec![5], vec![6]]
        );
    }

    #[test]
    fn paced_items_mark_their_end() {
        let mut o = Outbox::new();
        o.push(Item::bytes(vec![1, 2], Some(1), false));
        o.push(Item::bytes(vec![3], None, false));
        let w = o.pending().len();
        o.advance(w);
        assert!(!o.take_paced_boundary(), "mid-item");
        let w = o.pending().len();
        o.advance(w);
        assert!(
            o.take_paced_boundary(),
            "end of the chopped item, more queued"
        );
        let w = o.pending().len();
        o.advance(w);
        assert!(!o.take_paced_boundary());
    }

    #[test]
    fn generated_payload_is_masked_across_write_boundaries() {
        let payload = Arc::new(Payload::repeat(b"abc", 200_000));
        let key = [9, 8, 7, 6];
        let mut o = Outbox::new();
        o.push(Item::frame(
            vec![0xff],
            PayloadSlice::whole(payload.clone()),
            Some(key),
            None,
            false,
        ));
        let out: Vec<u8> = drain(&mut o).concat();
        let mut expected = payload.to_vec();
        crate::codec::mask::apply_mask_bytewise(&mut expected, key, 0);
        assert_eq!(out[0], 0xff);
        assert_eq!(&out[1..], &expected[..]);
    }

    #[test]
    fn windows_of_repeated_payloads() {
        let p = Arc::new(Payload::repeat(b"0123456789", 30));
        assert_eq!(PayloadSlice::window(p, 7, 6).to_vec(), b"789012");
    }
}
