//! Reading one `scan` input: opened as a reader (gzip and zstd recognized by
//! their first bytes and decompressed), plain text handed out in blocks cut
//! after a newline, every other layout read whole (at most `--max-bytes`).
//!
//! Cutting at newlines changes no finding: the plain-text scan reads line by
//! line and no context crosses a newline. Only a line longer than [`CAP`] is
//! cut inside.

use std::io::{self, Read};

use phiwatch_ingest::{Compression, InputSpec};
use phiwatch_phi::{detect_layout, Layout};

use crate::CliError;

/// Bytes of plain text scanned at once (a block ends at its last newline).
const BLOCK: usize = 4 << 20;
/// Longest block: a block with no newline that reaches it is scanned as is.
/// Also the most read to decide the layout of an input.
const CAP: usize = 64 << 20;
/// First buffer when the input's size is unknown (stdin, compressed).
const FIRST: usize = 64 << 10;
/// Non-empty lines that decide CSV/TSV sniffing (`detect_layout` reads
/// five).
const SNIFFED_LINES: usize = 5;

/// A piece of an input to scan: its bytes and where they sit in the input.
pub(super) struct Block<'a> {
    /// The bytes (a run of whole lines, or the whole input).
    pub bytes: &'a [u8],
    /// Bytes of the input before this block.
    pub offset: usize,
    /// Newlines of the input before this block.
    pub lines: u64,
    /// How the block is laid out (never `Auto`).
    pub layout: Layout,
}

/// Why an input stopped.
pub(super) enum Failure {
    /// It could not be read (the reason, without the path): reported, the
    /// input counts as failed and the next one is read.
    Read(String),
    /// Writing what was found failed: the command stops.
    Fatal(CliError),
}

impl From<CliError> for Failure {
    fn from(e: CliError) -> Self {
        Failure::Fatal(e)
    }
}

/// How an input is compressed.
#[derive(Clone, Copy)]
enum Codec {
    Plain,
    Gzip,
    Zstd,
}

impl Codec {
    /// The reason reported for a read error.
    fn reason(self, e: &io::Error) -> String {
        match self {
            Codec::Plain => e.kind().to_string(),
            Codec::Gzip => format!("not valid gzip data ({})", e.kind()),
            Codec::Zstd => format!("not valid zstd data ({})", e.kind()),
        }
    }
}

/// An opened input: the decompressed bytes, and the size if known.
struct Source {
    reader: Box<dyn Read>,
    codec: Codec,
    size: Option<u64>,
}

impl Source {
    /// Fills `buf` from `*filled` on until `target` bytes or the end (then
    /// `true`), growing it as needed.
    fn fill(
        &mut self,
        buf: &mut Vec<u8>,
        filled: &mut usize,
        target: usize,
    ) -> Result<bool, Failure> {
        while *filled < target {
            if *filled == buf.len() {
                buf.resize((buf.len() * 2).clamp(FIRST, target), 0);
            }
            match self.reader.read(&mut buf[*filled..]) {
                Ok(0) => return Ok(true),
                Ok(n) => *filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Failure::Read(self.codec.reason(&e))),
            }
        }
        Ok(false)
    }
}

/// Reads `input` and hands it to `scan` block by block: plain text (asked
/// for, or detected) in blocks of whole lines, anything else whole, refused
/// past `max` bytes. Returns the input's size.
pub(super) fn each_block(
    input: &InputSpec,
    asked: Layout,
    max: u64,
    mut scan: impl FnMut(&Block<'_>) -> Result<(), CliError>,
) -> Result<u64, Failure> {
    let mut src = open(input).map_err(Failure::Read)?;
    let first = src
        .size
        .map_or(FIRST, |n| {
            usize::try_from(n).unwrap_or(BLOCK).saturating_add(1)
        })
        .min(BLOCK);
    let mut buf = vec![0; first];
    let mut filled = 0;
    let mut target = BLOCK;
    let end = loop {
        let end = src.fill(&mut buf, &mut filled, target)?;
        if end || asked != Layout::Auto || target >= CAP || head_is_text(&buf[..filled]).is_some() {
            break end;
        }
        target = (target * 2).min(CAP);
    };
    let layout = match asked {
        Layout::Auto if end => Some(detect_layout(&buf[..filled])),
        Layout::Auto if head_is_text(&buf[..filled]) == Some(true) => Some(Layout::Text),
        // JSON, CSV or undecided: read whole, detect then.
        Layout::Auto => None,
        l => Some(l),
    };
    if layout == Some(Layout::Text) {
        return stream_text(&mut src, buf, filled, end, &mut scan);
    }
    buf.truncate(filled);
    if !end {
        read_rest(&mut src, &mut buf, max)?;
    }
    if buf.len() as u64 > max {
        return Err(Failure::Read(format!("larger than --max-bytes {max}")));
    }
    scan(&Block {
        bytes: &buf,
        offset: 0,
        lines: 0,
        layout: layout.unwrap_or_else(|| detect_layout(&buf)),
    })?;
    Ok(buf.len() as u64)
}

/// What `head`, the start of a longer input, says of the whole input's
/// layout as [`detect_layout`] would see it: `Some(false)` when its first
/// non-blank byte opens JSON, else, once it holds the whole lines that
/// CSV/TSV sniffing reads, whether it is plain text; `None` when it does not
/// tell yet.
fn head_is_text(head: &[u8]) -> Option<bool> {
    let first = head.iter().position(|b| !b.is_ascii_whitespace())?;
    if matches!(head[first], b'{' | b'[') {
        return Some(false);
    }
    let last = memchr::memrchr(b'\n', head)?;
    let whole_lines = head[..last]
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty() && *l != b"\r")
        .take(SNIFFED_LINES)
        .count();
    (whole_lines == SNIFFED_LINES).then(|| detect_layout(head) == Layout::Text)
}

/// Reads the rest of the input after `buf`, at most one byte past `max` in
/// all.
fn read_rest(src: &mut Source, buf: &mut Vec<u8>, max: u64) -> Result<(), Failure> {
    let have = buf.len() as u64;
    if have > max {
        return Ok(());
    }
    if let Some(n) = src.size {
        // One allocation of the right size, not a doubling series.
        let want = n.min(max.saturating_add(1)).saturating_sub(have);
        buf.reserve(usize::try_from(want).unwrap_or(0));
    }
    let limit = max.saturating_add(1) - have;
    match src.reader.by_ref().take(limit).read_to_end(buf) {
        Ok(_) => Ok(()),
        Err(e) => Err(Failure::Read(src.codec.reason(&e))),
    }
}

/// Plain text: blocks of about [`BLOCK`] bytes cut after their last
/// newline, the rest carried to the next block. `buf[..filled]` is read
/// already; `end` says whether that is all.
fn stream_text(
    src: &mut Source,
    mut buf: Vec<u8>,
    mut filled: usize,
    mut end: bool,
    scan: &mut impl FnMut(&Block<'_>) -> Result<(), CliError>,
) -> Result<u64, Failure> {
    let (mut offset, mut lines) = (0, 0);
    let mut target = BLOCK;
    loop {
        if !end {
            end = src.fill(&mut buf, &mut filled, target)?;
        }
        let cut = if end {
            filled
        } else {
            match memchr::memrchr(b'\n', &buf[..filled]) {
                Some(i) => i + 1,
                None if filled >= CAP => filled,
                None => {
                    target = (filled * 2).min(CAP);
                    continue;
                }
            }
        };
        target = BLOCK;
        let bytes = &buf[..cut];
        scan(&Block {
            bytes,
            offset,
            lines,
            layout: Layout::Text,
        })?;
        offset += cut;
        lines += memchr::memchr_iter(b'\n', bytes).count() as u64;
        if end {
            return Ok(offset as u64);
        }
        buf.copy_within(cut..filled, 0);
        filled -= cut;
    }
}

/// Opens `input`, decompressing gzip and zstd (recognized by their first
/// bytes). The error is the reason, without the path.
fn open(input: &InputSpec) -> Result<Source, String> {
    let reason = |e: io::Error| e.kind().to_string();
    let (raw, size): (Box<dyn Read + Send>, _) = match input {
        InputSpec::Stdin => (Box::new(io::stdin()), None),
        InputSpec::File(p) | InputSpec::Found(p) => {
            let f = std::fs::File::open(p).map_err(reason)?;
            let size = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
            (Box::new(f), size)
        }
    };
    let (reader, compression) = phiwatch_ingest::decompress(raw).map_err(reason)?;
    Ok(match compression {
        Compression::Gzip => Source {
            reader,
            codec: Codec::Gzip,
            size: None,
        },
        Compression::Zstd => Source {
            reader,
            codec: Codec::Zstd,
            size: None,
        },
        Compression::None => Source {
            reader,
            codec: Codec::Plain,
            size,
        },
    })
}
