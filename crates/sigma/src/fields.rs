//! Where a Sigma field name is found in an event: the selectors a class's
//! field mapping resolves it to, and values as the text matchers compare.

use phiwatch_event::{Event, Key, ValueRef};

use crate::taxonomy::Class;

/// The event fields a Sigma field name means in `class`, first present
/// wins: the class's mapping, or the name itself.
pub(crate) fn resolve(class: &Class, name: &str) -> Vec<Sel> {
    match class.fields.get(name) {
        Some(targets) => targets.iter().map(|t| Sel::of(t, class)).collect(),
        None => vec![Sel::of(name, class)],
    }
}

/// One way of finding a field in an event.
#[derive(Clone, Debug)]
pub(crate) enum Sel {
    Key(Key),
    Name(Box<str>),
    /// A name that may also be written with spaces in the event.
    Spaceless(Box<str>),
    /// A registered name that may also be written with spaces (Defender's
    /// "Process Name" for `ProcessName`).
    KeySpaceless(Key, Box<str>),
    /// The event's own time (`@timestamp`, as ECS names it).
    Time,
}

impl Sel {
    pub(crate) fn of(name: &str, class: &Class) -> Sel {
        if name == "@timestamp" {
            return Sel::Time;
        }
        match Key::lookup(name) {
            Some(k) if class.spaceless => Sel::KeySpaceless(k, name.into()),
            Some(k) => Sel::Key(k),
            None if class.spaceless => Sel::Spaceless(name.into()),
            None => Sel::Name(name.into()),
        }
    }

    pub(crate) fn get<'e>(&self, ev: &'e Event) -> Option<ValueRef<'e>> {
        match self {
            Sel::Key(k) => ev.get(*k),
            Sel::Name(n) => ev.get_raw(n),
            Sel::Spaceless(n) => ev.get_raw(n).or_else(|| spaced(ev, n)),
            Sel::KeySpaceless(k, n) => ev.get(*k).or_else(|| spaced(ev, n)),
            Sel::Time => Some(ValueRef::Time(ev.time())),
        }
    }
}

/// The value of the event field whose name, without its spaces, is `name`.
fn spaced<'e>(ev: &'e Event, name: &str) -> Option<ValueRef<'e>> {
    ev.fields()
        .find(|f| f.name.contains(' ') && spaceless_eq(f.name, name))
        .map(|f| f.value)
}

/// `with` equals `name` once its spaces are removed.
fn spaceless_eq(with: &str, name: &str) -> bool {
    let mut a = with.bytes().filter(|&b| b != b' ');
    let mut b = name.bytes();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
}

/// Appends a value's text (list items on lines of their own).
pub(crate) fn push_text(v: ValueRef<'_>, out: &mut String) {
    match v {
        ValueRef::List(l) => {
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                push_text(item, out);
            }
        }
        // The same text form the matchers compare.
        v => {
            crate::matcher::with_text(v, |s| out.push_str(s));
        }
    }
}

/// A Sigma field's value as text, through the class's mapping.
pub(crate) fn field_text(ev: &Event, class: &Class, name: &str) -> Option<String> {
    let v = resolve(class, name).iter().find_map(|s| s.get(ev))?;
    if matches!(v, ValueRef::Null) {
        return None;
    }
    let mut s = String::new();
    push_text(v, &mut s);
    Some(s)
}
