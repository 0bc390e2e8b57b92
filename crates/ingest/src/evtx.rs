//! Framing of binary Windows EVTX files: one record per event, rendered to
//! JSON (`{"Event":{"System":{…},"EventData":{…}}}`, the shape evtx_dump and
//! Chainsaw print) by the `evtx` crate, a chunk (64 KiB) at a time.

use std::collections::VecDeque;
use std::io::{Cursor, Read};
use std::sync::Arc;

use evtx::{EvtxParser, IntoIterChunks, ParserSettings};

use crate::frame::LineReader;

/// The records of one EVTX file.
pub(crate) struct EvtxFramer {
    chunks: IntoIterChunks<Cursor<Vec<u8>>>,
    settings: Arc<ParserSettings>,
    pending: VecDeque<Result<(u64, String), String>>,
    chunk_no: u64,
    len: u64,
}

impl EvtxFramer {
    /// Reads the whole (decompressed) file, up to `max` bytes, and opens it.
    pub(crate) fn open<R: Read>(lines: &mut LineReader<R>, max: usize) -> Result<Self, String> {
        let bytes = lines
            .read_rest(max)
            .map_err(|e| format!("cannot read the EVTX file: {e}"))?;
        let len = bytes.len() as u64;
        let settings = ParserSettings::new()
            .num_threads(1)
            .separate_json_attributes(false)
            .indent(false);
        let parser = EvtxParser::from_buffer(bytes)
            .map_err(|e| format!("not a readable EVTX file: {e}"))?
            .with_configuration(settings.clone());
        Ok(EvtxFramer {
            chunks: parser.into_chunks(),
            settings: Arc::new(settings),
            pending: VecDeque::new(),
            chunk_no: 0,
            len,
        })
    }

    /// Bytes in the file.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The next record as (record id, JSON), an error for a record or chunk
    /// that cannot be read, or `None` at the end.
    pub(crate) fn next_record(&mut self) -> Option<Result<(u64, String), String>> {
        while self.pending.is_empty() {
            let chunk = self.chunks.next()?;
            self.chunk_no += 1;
            let mut data = match chunk {
                Ok(d) => d,
                Err(e) => {
                    self.pending
                        .push_back(Err(format!("EVTX chunk {} unreadable: {e}", self.chunk_no)));
                    continue;
                }
            };
            let mut parsed = match data.parse(self.settings.clone()) {
                Ok(p) => p,
                Err(e) => {
                    self.pending
                        .push_back(Err(format!("EVTX chunk {} unreadable: {e}", self.chunk_no)));
                    continue;
                }
            };
            for record in parsed.iter() {
                self.pending
                    .push_back(match record.and_then(|r| r.into_json()) {
                        Ok(r) => Ok((r.event_record_id, r.data)),
                        Err(e) => Err(format!(
                            "EVTX record in chunk {} unreadable: {e}",
                            self.chunk_no
                        )),
                    });
            }
        }
        self.pending.pop_front()
    }
}
