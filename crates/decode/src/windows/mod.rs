//! Windows events: EVTX records (rendered to JSON by the ingest layer with the
//! `evtx` crate) and their JSON exports (evtx_dump, Chainsaw `dump`: one
//! `{"Event":{…}}` object per record), plus Hayabusa JSON timeline records.
//!
//! Fields are flattened under the names Sigma rules use: the `System`
//! children by their own names (`EventID`, `Channel`, `Computer`, `Level`,
//! …), `Provider`'s attributes as `Provider_Name` / `Provider_Guid`, other
//! `System` attributes by their own names (`ProcessID`, `ThreadID`, `UserID`,
//! `ActivityID`), `TimeCreated` as its `SystemTime`, every `EventData` child
//! by its name (`Image`, `CommandLine`, `TargetUserName`, …), unnamed
//! `EventData` `Data` elements as a list under `Data`, and the children of
//! `UserData`'s inner element by their names. Other sections (rare:
//! `RenderingInfo`, `ProcessingErrorData`) keep dotted paths.
//!
//! Process, user, network, file, registry and logon facts are added under ECS
//! and `phiwatch.*` names.

mod flatten;
mod hayabusa;
mod normalize;

use phiwatch_event::{Event, Origin, Timestamp};

use crate::json;
use crate::jtree::{get, Json};
use crate::{DecodeError, Decoder, DecoderConfig, ErrorKind};

use flatten::flatten_event;
use hayabusa::{flatten_hayabusa, is_hayabusa};
use normalize::normalize;

pub(crate) struct WindowsDecoder;

impl WindowsDecoder {
    pub(crate) fn new(_cfg: &DecoderConfig) -> Self {
        WindowsDecoder
    }
}

impl Decoder for WindowsDecoder {
    fn decode(&mut self, record: &[u8], origin: Origin) -> Result<Option<Event>, DecodeError> {
        // A UTF-8 BOM starts files written by Windows tools (PowerShell).
        let record = record.trim_ascii();
        let record = record.strip_prefix(b"\xef\xbb\xbf").unwrap_or(record);
        if record.is_empty() {
            return Ok(None);
        }
        let text = std::str::from_utf8(record).map_err(crate::utf8_error)?;
        let root: Json<'_> = serde_json::from_str(text).map_err(json::json_error)?;
        let Json::Obj(top) = root else {
            return Err(DecodeError::new(
                ErrorKind::Schema,
                "expected a JSON object (`{\"Event\":{…}}` or a Hayabusa record)",
            ));
        };
        let mut ev = Event::with_capacity(Timestamp::EPOCH, 64, text.len() + 128);
        let hayabusa = match get(&top, "Event") {
            Some(Json::Obj(event)) => {
                flatten_event(&mut ev, event)?;
                false
            }
            Some(_) => {
                return Err(DecodeError::new(
                    ErrorKind::Schema,
                    "field `Event`: expected an object",
                ))
            }
            None if is_hayabusa(&top) => {
                flatten_hayabusa(&mut ev, &top)?;
                true
            }
            None => {
                return Err(DecodeError::new(
                    ErrorKind::Schema,
                    "missing `Event` object (EVTX JSON) and not a Hayabusa timeline record",
                ))
            }
        };
        ev.set_origin(origin);
        normalize(&mut ev, hayabusa)?;
        Ok(Some(ev))
    }
}

/// Whether a JSON object with these keys is this format (`has` answers for
/// top-level and dotted nested names).
pub(crate) fn detect_json(has: &dyn Fn(&str) -> bool) -> bool {
    // `Event.System` answers for parsed lines; the text sniff used for
    // pretty-printed documents sees key names only (`System`). An
    // `{"Event":…}` object without the usual keys of generic JSON logs is
    // taken as an export too.
    let generic = [
        "@timestamp",
        "timestamp",
        "time",
        "ts",
        "date",
        "message",
        "msg",
        "level",
        "user",
        "host",
        "type",
    ]
    .iter()
    .any(|k| has(k));
    let evtx = has("Event") && (has("System") || has("Event.System") || !generic);
    let hayabusa = has("Timestamp")
        && has("EventID")
        && has("Channel")
        && has("RuleTitle")
        && (has("RecordID") || has("Computer"));
    evtx || hayabusa
}
