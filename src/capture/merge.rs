//! Several captures read as one timeline, merged by timestamp (one capture
//! per control-plane node). Each file keeps its own buffer; the merge only
//! decides which file's current packet comes next, so nothing is copied.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;

use super::{CaptureError, FileSource, Packet, PacketSource};
use crate::timestamp::Timestamp;

/// A k-way merge of file sources. A file that ends in damage drops out with
/// a warning (see [`PacketSource::take_warnings`]); the others go on.
pub struct MergedSource {
    sources: Vec<FileSource<File>>,
    heap: BinaryHeap<Reverse<(Timestamp, usize)>>,
    current: Option<usize>,
    started: bool,
    warnings: Vec<CaptureError>,
    secrets: Vec<(u32, Vec<u8>)>,
}

impl MergedSource {
    pub fn new(sources: Vec<FileSource<File>>) -> Self {
        MergedSource {
            heap: BinaryHeap::with_capacity(sources.len()),
            sources,
            current: None,
            started: false,
            warnings: Vec::new(),
            secrets: Vec::new(),
        }
    }

    /// The next packet of several files: the earliest of their current ones.
    #[inline(never)]
    fn advance_merged(&mut self) -> Result<bool, CaptureError> {
        if !self.started {
            self.started = true;
            for idx in 0..self.sources.len() {
                self.pull(idx);
            }
        } else if let Some(idx) = self.current.take() {
            self.pull(idx);
        }
        match self.heap.pop() {
            Some(Reverse((_, idx))) => {
                self.current = Some(idx);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn pull(&mut self, idx: usize) {
        let result = self.sources[idx].advance();
        if self.sources[idx].may_have_secrets() {
            self.secrets.extend(self.sources[idx].take_secrets());
        }
        match result {
            Ok(true) => {
                let ts = self.sources[idx].current().ts;
                self.heap.push(Reverse((ts, idx)));
            }
            Ok(false) => {}
            Err(e) => self.warnings.push(e),
        }
    }
}

impl PacketSource for MergedSource {
    /// One file is read straight through, small enough to be inlined where
    /// packets are read; several go through [`MergedSource::advance_merged`].
    #[inline]
    fn advance(&mut self) -> Result<bool, CaptureError> {
        if let [only] = self.sources.as_mut_slice() {
            // One file: nothing to merge (what the heap would do, without it).
            if self.started && self.current.is_none() {
                return Ok(false);
            }
            self.started = true;
            let result = only.advance();
            if only.may_have_secrets() {
                self.secrets.extend(only.take_secrets());
            }
            self.current = None;
            return match result {
                Ok(true) => {
                    self.current = Some(0);
                    Ok(true)
                }
                Ok(false) => Ok(false),
                Err(e) => {
                    self.warnings.push(e);
                    Ok(false)
                }
            };
        }
        self.advance_merged()
    }

    fn current(&self) -> Packet<'_> {
        let idx = self.current.unwrap_or(0);
        self.sources[idx].current()
    }

    fn progress(&self) -> (u64, Option<u64>) {
        let mut done = 0;
        let mut total = Some(0u64);
        for s in &self.sources {
            let (d, t) = s.progress();
            done += d;
            total = total.zip(t).map(|(a, b)| a + b);
        }
        (done, total)
    }

    fn take_warnings(&mut self) -> Vec<CaptureError> {
        std::mem::take(&mut self.warnings)
    }

    fn take_secrets(&mut self) -> Vec<(u32, Vec<u8>)> {
        std::mem::take(&mut self.secrets)
    }

    fn may_have_secrets(&self) -> bool {
        !self.secrets.is_empty()
    }
}
