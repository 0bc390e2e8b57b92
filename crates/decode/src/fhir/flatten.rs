//! Flattening an AuditEvent tree into raw fields, in the same shape as
//! `json::flatten_object` gives for other JSON formats.

use phiwatch_event::{Event, Value};

use crate::jtree::{Json, Obj};

pub(super) fn flatten_obj(ev: &mut Event, path: &mut String, obj: &Obj<'_>) {
    let base = path.len();
    for (k, v) in obj {
        if base > 0 {
            path.push('.');
        }
        path.push_str(k);
        flatten_value(ev, path, v);
        path.truncate(base);
    }
}

fn flatten_value(ev: &mut Event, path: &mut String, v: &Json<'_>) {
    match v {
        Json::Obj(o) => flatten_obj(ev, path, o),
        Json::Arr(items) => {
            let mut scalars = Vec::new();
            let mut objects = 0usize;
            flatten_array(ev, path, items, &mut scalars, &mut objects);
            if !scalars.is_empty() || objects == 0 {
                let list = ev.store_list(scalars);
                let name = ev.name(path);
                ev.push_raw(name, list);
            }
        }
        scalar => {
            let val = scalar_value(ev, scalar);
            let name = ev.name(path);
            ev.push_raw(name, val);
        }
    }
}

fn flatten_array(
    ev: &mut Event,
    path: &mut String,
    items: &[Json<'_>],
    scalars: &mut Vec<Value>,
    objects: &mut usize,
) {
    for item in items {
        match item {
            Json::Obj(o) => {
                *objects += 1;
                flatten_obj(ev, path, o);
            }
            Json::Arr(inner) => flatten_array(ev, path, inner, scalars, objects),
            scalar => {
                let v = scalar_value(ev, scalar);
                scalars.push(v);
            }
        }
    }
}

fn scalar_value(ev: &mut Event, v: &Json<'_>) -> Value {
    match v {
        Json::Bool(b) => Value::Bool(*b),
        Json::Int(i) => Value::Int(*i),
        Json::Float(f) => Value::Float(*f),
        Json::Str(s) => ev.store_str(s),
        _ => Value::Null,
    }
}
