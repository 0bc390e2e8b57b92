//! No attack: only the baseline and its alarming-but-benign decoys (which
//! the world runs more often for this scenario).

use crate::baseline::Cast;
use crate::model::{Activity, Org, StepInfo};
use crate::scenario::Plan;
use crate::Rng;

/// No labeled steps.
pub(crate) const STEPS: &[StepInfo] = &[];

pub(crate) struct Benign;

impl Plan for Benign {
    fn emit(&self, _org: &Org, _cast: &Cast, _m: i64, _r: &mut Rng, _out: &mut Vec<Activity>) {}
}
