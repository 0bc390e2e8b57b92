//! Tests of the value matchers: one data-driven check per modifier, the
//! prefilter property, and a cross-check against rsigma-eval.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::str::FromStr;

use phiwatch_event::{Event, Timestamp, Value, ValueRef};
use rsigma_parser::{Modifier, SigmaString, SigmaValue};

use super::{CompileContext, FieldId, Fields, MatcherError, ValueMatcher};

const T0: Timestamp = Timestamp::EPOCH;

fn mods(spec: &str) -> Vec<Modifier> {
    spec.split('|')
        .filter(|s| !s.is_empty())
        .map(|m| Modifier::from_str(m).unwrap_or_else(|_| panic!("modifier {m}")))
        .collect()
}

fn s(v: &str) -> SigmaValue {
    SigmaValue::String(SigmaString::new(v))
}

fn strs(vs: &[&str]) -> Vec<SigmaValue> {
    vs.iter().map(|v| s(v)).collect()
}

/// Compiles `spec` (modifiers joined by `|`; a leading `kw` compiles
/// keywords); `Other` is field 1.
fn build_with(
    spec: &str,
    values: Vec<SigmaValue>,
    warnings: &mut Vec<String>,
) -> Result<ValueMatcher, MatcherError> {
    let mut intern = |n: &str| FieldId(if n == "Other" { 1 } else { 2 });
    let placeholders = |n: &str| match n {
        "Admins" => Some(vec!["root".to_string(), "adm*".to_string()]),
        "Dir" => Some(vec!["C:\\Temp".to_string()]),
        _ => None,
    };
    let mut cx = CompileContext {
        intern: &mut intern,
        placeholders: &placeholders,
        warnings,
    };
    match spec.strip_prefix("kw") {
        Some(rest) => ValueMatcher::compile_keywords(&mods(rest), &values, &mut cx),
        None => ValueMatcher::compile(&mods(spec), &values, &mut cx),
    }
}

fn build(spec: &str, values: Vec<SigmaValue>) -> ValueMatcher {
    build_with(spec, values, &mut Vec::new()).unwrap_or_else(|e| panic!("{spec}: {e}"))
}

/// The event's other fields: `Other` (id 1) has the given value.
struct Other<'e>(Option<ValueRef<'e>>);

impl<'e> Fields<'e> for Other<'e> {
    fn get(&self, id: FieldId) -> Option<ValueRef<'e>> {
        if id == FieldId(1) {
            self.0
        } else {
            None
        }
    }
}

fn hit(m: &ValueMatcher, v: Option<ValueRef<'_>>) -> bool {
    m.matches(v, &Other(None), T0)
}

/// Asserts the prefilter property for a value the matcher accepts.
fn assert_needles(m: &ValueMatcher, text: &str, what: &str) {
    if let Some(needles) = m.needles() {
        let hay = text.as_bytes().to_ascii_lowercase();
        assert!(
            needles
                .iter()
                .any(|n| hay.windows(n.len()).any(|w| w == &n[..])),
            "{what}: needles {:?} miss accepted {text:?}",
            needles
                .iter()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect::<Vec<_>>()
        );
    }
}

/// One data-driven check: string event values that must and must not match.
fn check(spec: &str, values: &[&str], yes: &[&str], no: &[&str]) {
    check_values(spec, strs(values), yes, no);
}

fn check_values(spec: &str, values: Vec<SigmaValue>, yes: &[&str], no: &[&str]) {
    let m = build(spec, values.clone());
    for y in yes {
        assert!(
            hit(&m, Some(ValueRef::Str(y))),
            "{spec} {values:?} should match {y:?}"
        );
        assert_needles(&m, y, spec);
    }
    for n in no {
        assert!(
            !hit(&m, Some(ValueRef::Str(n))),
            "{spec} {values:?} should not match {n:?}"
        );
    }
}

fn err(spec: &str, values: Vec<SigmaValue>) -> String {
    match build_with(spec, values, &mut Vec::new()) {
        Ok(_) => panic!("{spec} should not compile"),
        Err(e) => e.0,
    }
}

#[test]
fn plain_values_are_exact_and_case_insensitive() {
    check(
        "",
        &["cmd.exe"],
        &["cmd.exe", "CMD.EXE", "Cmd.Exe"],
        &["cmd.exe ", "xcmd.exe", "cmd", ""],
    );
    check(
        "",
        &["Überweisung"],
        &["überweisung", "ÜBERWEISUNG"],
        &["uberweisung"],
    );
    check("", &[""], &[""], &["a"]);
    check("cased", &["Cmd.exe"], &["Cmd.exe"], &["cmd.exe", "CMD.EXE"]);
    check("", &["a", "b"], &["a", "B"], &["c", "ab"]);
}

#[test]
fn wildcards_and_escapes() {
    check(
        "",
        &["C:\\Win*\\cmd.exe"],
        &["c:\\windows\\cmd.exe", "C:\\Win\\cmd.exe"],
        &["D:\\windows\\cmd.exe", "c:\\windows\\cmd.exe2"],
    );
    check(
        "",
        &["prog?.exe"],
        &["progA.exe", "progé.exe"],
        &["prog.exe", "progAB.exe"],
    );
    check(
        "",
        &["a*b*c"],
        &["abc", "aXbYc", "a\nb\nc", "abbc"],
        &["ab", "acb", "abcd"],
    );
    check("", &["*"], &["", "anything"], &[]);
    check(
        "",
        &["\\*literal"],
        &["*literal", "*LITERAL"],
        &["xliteral"],
    );
    check("", &["what\\?"], &["what?"], &["whatx"]);
    check("", &["C:\\\\*"], &["C:\\", "C:\\x"], &["C:"]);
    check("", &["C:\\\\\\*"], &["C:\\*"], &["C:\\x"]);
    check("", &["\\Windows\\"], &["\\windows\\"], &["windows"]);
    check("contains", &["a?c"], &["xxabcxx", "abc"], &["ac", "xxacxx"]);
    check("startswith", &["a*c"], &["abbbcz", "ac"], &["zac"]);
    check("endswith", &["a*c"], &["zzabbbc", "ac"], &["acz"]);
    check("endswith", &["é?"], &["xÉa", "éé"], &["éab"]);
}

#[test]
fn string_operators_and_sets() {
    let exts: Vec<String> = (0..40).map(|i| format!("\\tool{i}.exe")).collect();
    let exts: Vec<&str> = exts.iter().map(String::as_str).collect();
    check(
        "endswith",
        &exts,
        &["C:\\x\\TOOL7.EXE", "\\tool39.exe"],
        &["C:\\tool40.exe", "tool7.exe", "\\tool7.exe "],
    );
    check(
        "startswith",
        &["C:\\Users\\", "C:\\Temp\\"],
        &["c:\\users\\bob", "C:\\TEMP\\x"],
        &["D:\\users\\", "xC:\\Temp\\"],
    );
    let subs: Vec<String> = (0..30).map(|i| format!("-opt{i} ")).collect();
    let subs: Vec<&str> = subs.iter().map(String::as_str).collect();
    check(
        "contains",
        &subs,
        &["x.exe -OPT12 y", "-opt0 "],
        &["x.exe -opt12y", "-opt30 "],
    );
    check(
        "contains",
        &["mimikatz"],
        &["run MimiKatz.exe", "mimikatz"],
        &["mimi katz", "mimikat"],
    );
    check(
        "contains|cased",
        &["MimiKatz"],
        &["x MimiKatz"],
        &["x mimikatz"],
    );
    check(
        "contains",
        &["şifre"],
        &["ŞIFRE yok", "xşifre"],
        &["sifre", "ŞİFRE"],
    );
    check(
        "contains|all",
        &["-enc", "bypass"],
        &["x -ENC y BYPASS", "bypass-enc"],
        &["x -enc", "bypass"],
    );
    check("contains", &[""], &["", "x"], &[]);
}

#[test]
fn windash_variants() {
    check(
        "contains|windash",
        &[" -f "],
        &["del -f x", "del /f x", "del –f x", "del —f x", "del ―f x"],
        &["del +f x", "del f x"],
    );
    check(
        "contains|windash",
        &["/format:"],
        &["wmic -format:list", "wmic /FORMAT:x"],
        &["wmic format:"],
    );
    // A dash inside a word is not a switch (pySigma).
    check(
        "contains|windash",
        &["Invoke-Expression"],
        &["invoke-expression"],
        &["Invoke/Expression"],
    );
    check(
        "windash|endswith",
        &[" -s"],
        &["psexec /s", "psexec -S"],
        &["psexec s"],
    );
    // Many switches: a dash class instead of 5^n variants.
    check(
        "windash|contains",
        &["-a -b -c -d -e"],
        &["/a -b –c /d ―e", "-a -b -c -d -e"],
        &["-a -b -c -d e"],
    );
    check(
        "windash|contains|all",
        &["-u", "-p"],
        &["tool /u x -p y"],
        &["tool /u x"],
    );
}

#[test]
fn base64_and_offsets() {
    // pySigma's vectors for base64offset.
    let m = build("base64offset|contains", strs(&["foobar"]));
    let mut n = m.needles().unwrap();
    n.sort();
    assert_eq!(
        n,
        vec![
            b"mb29iyx".to_vec(),
            b"zm9vymfy".to_vec(),
            b"zvb2jhc".to_vec()
        ]
    );
    check(
        "base64offset|contains",
        &["foobar"],
        &["Zm9vYmFy", "xxZvb2JhcgYY", "AAmb29iYXIz"],
        &["zm9vymfy", "ZM9VYMFY"],
    );
    let cmd = "IEX (New-Object Net.WebClient).DownloadString";
    for prefix in ["", "x", "xy", "xyz"] {
        use base64::Engine as _;
        let enc = base64::engine::general_purpose::STANDARD.encode(format!("{prefix}{cmd} more"));
        check("base64offset|contains", &[cmd], &[enc.as_str()], &[]);
    }
    check("base64", &["cmd"], &["Y21k"], &["y21k", "Y21kZ"]);
    check("base64|contains", &["cmd"], &["xY21kx"], &["xy21kx"]);
    assert!(err("base64", strs(&["a*b"])).contains("wildcards"));
}

#[test]
fn utf16_encodings() {
    check(
        "wide|contains",
        &["cmd"],
        &["x c\0m\0d\0 y", "C\0M\0D\0"],
        &["cmd"],
    );
    check("utf16le", &["cmd"], &["c\0m\0d\0"], &["c\0m\0d"]);
    check("utf16be", &["cmd"], &["\0c\0m\0d"], &["c\0m\0d\0"]);
    use base64::Engine as _;
    let enc = base64::engine::general_purpose::STANDARD.encode(b"p\0i\0n\0g\0");
    check(
        "wide|base64offset|contains",
        &["ping"],
        &[enc.as_str()],
        &[],
    );
    let bom = base64::engine::general_purpose::STANDARD.encode(b"\xff\xfep\0i\0n\0g\0");
    check("utf16|base64", &["ping"], &[bom.as_str()], &[enc.as_str()]);
    assert!(err("wide|utf16be", strs(&["x"])).contains("UTF-16"));
}

#[test]
fn regexes_and_flags() {
    check(
        "re",
        &["^C:\\\\Users\\\\[^\\\\]+\\\\NTUSER\\.DAT$"],
        &["C:\\Users\\bob\\NTUSER.DAT"],
        &["c:\\users\\bob\\ntuser.dat"],
    );
    check(
        "re|i",
        &["^C:\\\\Users\\\\[^\\\\]+\\\\NTUSER\\.DAT$"],
        &["c:\\users\\bob\\ntuser.dat"],
        &["c:\\users\\ntuser.dat"],
    );
    check("re", &["evil"], &["so evil here"], &["EVIL"]);
    // Unicode case folding: the needles must allow the long s and Kelvin sign.
    check(
        "re|i",
        &["powershell.*kit"],
        &["POWER\u{17f}HELL \u{212a}it", "powershell kit"],
        &["power shell"],
    );
    check("re", &["^a.b$"], &["axb"], &["a\nb"]);
    check("re|s", &["^a.b$"], &["a\nb"], &["ab"]);
    check("re|m", &["^b$"], &["a\nb\nc"], &["abc"]);
    check("re", &["\\*x"], &["a*x"], &["ax"]);
    assert!(err("re", strs(&["a(?=b)"])).contains("look-ahead at offset 1"));
    assert!(err("re", strs(&["(?<!a)b"])).contains("look-behind"));
    assert!(err("re", strs(&["(a)\\1"])).contains("back-reference"));
    assert!(err("re", strs(&["(?>a)"])).contains("atomic"));
    assert!(err("re", strs(&["a[b"])).starts_with("re:"));
    assert!(err("i", strs(&["a"])).contains("need re"));
    let m = build("re", strs(&["(?i)powershell.*-enc"]));
    assert!(m.needles().unwrap().contains(&b"powershell".to_vec()));
    assert_eq!(build("re", strs(&["\\d+"])).needles(), None);
}

#[test]
fn cidr_networks() {
    let m = build(
        "cidr",
        strs(&["10.0.0.0/8", "2001:db8::/32", "192.168.1.7"]),
    );
    let ip = |s: &str| ValueRef::Ip(IpAddr::from_str(s).unwrap());
    for y in ["10.1.2.3", "2001:db8::1", "192.168.1.7", "::ffff:10.9.9.9"] {
        assert!(hit(&m, Some(ip(y))), "{y}");
        assert!(hit(&m, Some(ValueRef::Str(y))), "{y} as text");
    }
    for n in ["11.0.0.1", "2001:db9::1", "192.168.1.8"] {
        assert!(!hit(&m, Some(ip(n))), "{n}");
    }
    assert!(!hit(&m, Some(ValueRef::Str("not an ip"))));
    assert!(build("cidr", strs(&["10.0.0.1/8"])).matches(Some(ip("10.2.0.0")), &Other(None), T0));
    assert_eq!(
        err("cidr", strs(&["10.0.0.300/8"])),
        "cidr: '10.0.0.300/8' is not a network"
    );
    assert!(err("cidr", strs(&["10.0.0.0/33"])).contains("not a network"));
    assert!(err("cidr|contains", strs(&["10.0.0.0/8"])).contains("conflicting"));
}

#[test]
fn numbers_booleans_and_text_forms() {
    let m = build("", vec![SigmaValue::Integer(4688)]);
    for y in [
        ValueRef::Int(4688),
        ValueRef::Float(4688.0),
        ValueRef::Str("4688"),
        ValueRef::Str("0x1250"),
    ] {
        assert!(hit(&m, Some(y)), "{y:?}");
    }
    for n in [
        ValueRef::Int(4689),
        ValueRef::Str("4688x"),
        ValueRef::Bool(true),
    ] {
        assert!(!hit(&m, Some(n)), "{n:?}");
    }
    assert_eq!(m.needles(), None);
    let m = build("", strs(&["4688"]));
    assert!(hit(&m, Some(ValueRef::Int(4688))));
    assert!(!hit(&m, Some(ValueRef::Int(46880))));
    // The prefilter scans the text form of non-string values, so a number
    // written as a string is a usable needle.
    assert_eq!(m.needles(), Some(vec![b"4688".to_vec()]));
    let m = build("", vec![SigmaValue::Bool(true)]);
    assert!(hit(&m, Some(ValueRef::Bool(true))) && hit(&m, Some(ValueRef::Str("True"))));
    assert!(!hit(&m, Some(ValueRef::Bool(false))) && !hit(&m, Some(ValueRef::Str("1"))));
    assert!(hit(&build("", strs(&["true"])), Some(ValueRef::Bool(true))));
    let ip = ValueRef::Ip(IpAddr::from_str("10.1.2.3").unwrap());
    assert!(hit(&build("startswith", strs(&["10.1."])), Some(ip)));
    let t = ValueRef::Time(Timestamp::parse_any(b"2024-05-06T07:08:09Z").unwrap());
    assert!(hit(&build("startswith", strs(&["2024-05-06T07"])), Some(t)));
    assert!(hit(
        &build("contains", vec![SigmaValue::Integer(68)]),
        Some(ValueRef::Int(4688))
    ));
    let m = build("gt", vec![SigmaValue::Integer(100)]);
    assert!(hit(&m, Some(ValueRef::Int(101))) && hit(&m, Some(ValueRef::Str("100.5"))));
    assert!(!hit(&m, Some(ValueRef::Int(100))) && !hit(&m, Some(ValueRef::Str("abc"))));
    let m = build("lte", strs(&["2.5"]));
    assert!(hit(&m, Some(ValueRef::Float(2.5))) && !hit(&m, Some(ValueRef::Float(2.6))));
    assert!(err("gt", strs(&["abc"])).contains("not a number"));
    assert!(err("gt|lt", vec![SigmaValue::Integer(1)]).contains("only one"));
}

#[test]
fn null_exists_and_neq() {
    let m = build("", vec![SigmaValue::Null]);
    assert!(hit(&m, None) && hit(&m, Some(ValueRef::Null)));
    assert!(!hit(&m, Some(ValueRef::Str(""))) && !hit(&m, Some(ValueRef::Str("x"))));
    let m = build("", vec![s("x"), SigmaValue::Null]);
    assert!(
        hit(&m, None) && hit(&m, Some(ValueRef::Str("X"))) && !hit(&m, Some(ValueRef::Str("y")))
    );
    assert_eq!(m.needles(), None);
    let yes = build("exists", vec![SigmaValue::Bool(true)]);
    let no = build("exists", vec![SigmaValue::Bool(false)]);
    for (v, present) in [
        (None, false),
        (Some(ValueRef::Null), false),
        (Some(ValueRef::Str("")), true),
    ] {
        assert_eq!(hit(&yes, v), present);
        assert_eq!(hit(&no, v), !present);
    }
    assert!(err("exists", strs(&["maybe"])).contains("true or false"));
    let m = build("neq", strs(&["a", "b"]));
    assert!(hit(&m, Some(ValueRef::Str("c"))));
    assert!(!hit(&m, Some(ValueRef::Str("A"))) && !hit(&m, Some(ValueRef::Str("b"))));
    assert!(!hit(&m, None) && !hit(&m, Some(ValueRef::Null)));
    assert_eq!(m.needles(), None);
    let m = build("neq", vec![SigmaValue::Integer(5)]);
    assert!(hit(&m, Some(ValueRef::Int(6))) && !hit(&m, Some(ValueRef::Int(5))));
}

#[test]
fn lists_match_by_item() {
    let mut ev = Event::new(T0);
    let a = ev.store_str("alpha");
    let b = ev.store_str("beta");
    let list = ev.store_list([a, b, Value::Int(7)]);
    let empty = ev.store_list([]);
    let l = ev.view(list);
    assert!(hit(&build("", strs(&["BETA"])), Some(l)));
    assert!(hit(&build("", vec![SigmaValue::Integer(7)]), Some(l)));
    assert!(!hit(&build("", strs(&["gamma"])), Some(l)));
    // `all`: each value may match a different item.
    assert!(hit(&build("contains|all", strs(&["alp", "bet"])), Some(l)));
    assert!(!hit(&build("contains|all", strs(&["alp", "gam"])), Some(l)));
    assert!(!hit(&build("neq", strs(&["beta"])), Some(l)));
    assert!(hit(&build("neq", strs(&["gamma"])), Some(l)));
    assert!(!hit(
        &build("", vec![SigmaValue::Null]),
        Some(ev.view(empty))
    ));
}

#[test]
fn time_parts() {
    // 2021-01-03 is a Sunday in ISO week 53 of 2020.
    let t = Timestamp::parse_any(b"2021-01-03T23:45:06Z").unwrap();
    let cases = [
        ("minute", 45),
        ("hour", 23),
        ("day", 3),
        ("week", 53),
        ("month", 1),
        ("year", 2021),
    ];
    for (part, n) in cases {
        let m = build(part, vec![SigmaValue::Integer(n)]);
        assert!(hit(&m, Some(ValueRef::Time(t))), "{part}");
        assert!(
            hit(&m, Some(ValueRef::Str("2021-01-03T23:45:06Z"))),
            "{part} text"
        );
        assert!(hit(&m, Some(ValueRef::Int(t.as_secs()))), "{part} epoch");
        assert!(
            !hit(
                &build(part, vec![SigmaValue::Integer(n + 1)]),
                Some(ValueRef::Time(t))
            ),
            "{part}+1"
        );
    }
    let wk = |s: &str| Timestamp::parse_any(s.as_bytes()).unwrap();
    assert!(hit(
        &build("week", vec![SigmaValue::Integer(1)]),
        Some(ValueRef::Time(wk("2024-12-30T00:00:00Z")))
    ));
    assert!(hit(
        &build("week", vec![SigmaValue::Integer(52)]),
        Some(ValueRef::Time(wk("2023-12-31T00:00:00Z")))
    ));
    let night = build("hour|gte", vec![SigmaValue::Integer(22)]);
    assert!(hit(&night, Some(ValueRef::Time(t))));
    // An absent field reads the event time.
    assert!(night.matches(None, &Other(None), t));
    assert!(!night.matches(None, &Other(None), T0));
    assert!(err("hour", strs(&["x"])).contains("not a number"));
}

#[test]
fn fieldrefs() {
    let m = build("fieldref", strs(&["Other"]));
    let same = Other(Some(ValueRef::Str("C:\\X.exe")));
    assert!(m.matches(Some(ValueRef::Str("c:\\x.exe")), &same, T0));
    assert!(!m.matches(Some(ValueRef::Str("c:\\y.exe")), &same, T0));
    assert!(!m.matches(Some(ValueRef::Str("c:\\x.exe")), &Other(None), T0));
    assert!(m.matches(Some(ValueRef::Int(5)), &Other(Some(ValueRef::Str("5"))), T0));
    assert_eq!(m.needles(), None);
    let neq = build("fieldref|neq", strs(&["Other"]));
    assert!(neq.matches(
        Some(ValueRef::Str("bob")),
        &Other(Some(ValueRef::Str("alice"))),
        T0
    ));
    assert!(!neq.matches(
        Some(ValueRef::Str("Bob")),
        &Other(Some(ValueRef::Str("bob"))),
        T0
    ));
    let c = build("fieldref|contains", strs(&["Other"]));
    assert!(c.matches(
        Some(ValueRef::Str("run EVIL now")),
        &Other(Some(ValueRef::Str("evil"))),
        T0
    ));
    let e = build("fieldref|endswith|cased", strs(&["Other"]));
    assert!(!e.matches(
        Some(ValueRef::Str("xEVIL")),
        &Other(Some(ValueRef::Str("evil"))),
        T0
    ));
    assert!(err("contains|fieldref", strs(&["Other"])).contains("must follow fieldref"));
    assert!(err("fieldref", strs(&["Oth*"])).contains("wildcards"));
}

#[test]
fn expand_placeholders() {
    check(
        "expand",
        &["%Admins%"],
        &["root", "ADMIN1"],
        &["user", "xroot"],
    );
    check(
        "expand|startswith",
        &["%Dir%\\"],
        &["c:\\temp\\x"],
        &["c:\\temp"],
    );
    check("expand", &["\\%Admins%"], &["%Admins%"], &["root"]);
    let mut warnings = Vec::new();
    let m = build_with("expand", strs(&["%Nobody%", "x"]), &mut warnings).unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("%Nobody%"));
    assert!(hit(&m, Some(ValueRef::Str("x"))) && !hit(&m, Some(ValueRef::Str("%Nobody%"))));
    let never = build_with("expand", strs(&["%Nobody%"]), &mut Vec::new()).unwrap();
    assert!(!hit(&never, Some(ValueRef::Str(""))) && !hit(&never, None));
    assert_eq!(never.needles(), Some(Vec::new()));
}

#[test]
fn keywords_match_anywhere() {
    let m = build("kw", strs(&["event::clear", "mimi*katz"]));
    assert!(hit(&m, Some(ValueRef::Str("sekurlsa EVENT::CLEAR x"))));
    assert!(hit(&m, Some(ValueRef::Str("a mimiXkatz b"))));
    assert!(!hit(&m, Some(ValueRef::Str("event clear"))));
    let m = build("kw", vec![SigmaValue::Integer(4688)]);
    assert!(hit(&m, Some(ValueRef::Str("id 4688 seen"))));
    let all = build("kw|all", strs(&["OabVirtualDirectory", " -ExternalUrl "]));
    assert!(all.matches_texts(&["Set-OabVirtualDirectory", "x -ExternalUrl y"]));
    assert!(!all.matches_texts(&["Set-OabVirtualDirectory"]));
    assert!(!all.matches_texts(&[]));
}

#[test]
fn bad_combinations_are_errors() {
    assert!(err("contains|startswith", strs(&["a"])).contains("only one"));
    assert!(err("re|contains", strs(&["a"])).contains("conflicting"));
    assert!(err("base64|base64offset", strs(&["a"])).contains("exclusive"));
    assert!(err("windash|re", strs(&["a"])).contains("windash"));
    assert!(err("exists|neq", vec![SigmaValue::Bool(true)]).contains("neq"));
    assert!(err("hour|minute", vec![SigmaValue::Integer(1)]).contains("one time part"));
    assert!(build_with("", Vec::new(), &mut Vec::new()).is_err());
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// A reference: the Sigma string as an anchored regex.
    fn reference(value: &str, anchor: &str, cased: bool) -> regex::Regex {
        let parsed = SigmaString::new(value);
        let mut p = String::from(if cased { "(?s)" } else { "(?is)" });
        if anchor.is_empty() || anchor == "startswith" {
            p.push('^');
        }
        for part in &parsed.parts {
            match part {
                rsigma_parser::StringPart::Plain(t) => p.push_str(&regex::escape(t)),
                rsigma_parser::StringPart::Special(rsigma_parser::SpecialChar::WildcardMulti) => {
                    p.push_str(".*")
                }
                rsigma_parser::StringPart::Special(rsigma_parser::SpecialChar::WildcardSingle) => {
                    p.push('.')
                }
            }
        }
        if anchor.is_empty() || anchor == "endswith" {
            p.push('$');
        }
        regex::Regex::new(&p).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn agrees_with_regex_and_needles_hold(
            values in proptest::collection::vec("[abAB\\-/é É.*?\\\\]{0,6}", 1..4),
            hay in "[abAB\\-/é É.*?\\\\x]{0,12}",
            anchor in prop_oneof![Just(""), Just("contains"), Just("startswith"), Just("endswith")],
            cased in any::<bool>(),
        ) {
            let spec = if cased { format!("{anchor}|cased") } else { anchor.to_string() };
            let refs: Vec<_> = values.iter().map(|v| reference(v, anchor, cased)).collect();
            let refs_vals: Vec<&str> = values.iter().map(String::as_str).collect();
            let m = build(&spec, strs(&refs_vals));
            let want = refs.iter().any(|r| r.is_match(&hay));
            prop_assert_eq!(hit(&m, Some(ValueRef::Str(&hay))), want, "{} {:?} vs {:?}", spec, values, hay);
            if want {
                assert_needles(&m, &hay, &spec);
            }
        }

        #[test]
        fn base64offset_finds_value_at_any_offset(
            value in "[ -~]{3,12}",
            pre in "[ -~]{0,5}",
            post in "[ -~]{0,5}",
            wide in any::<bool>(),
        ) {
            use base64::Engine as _;
            let spec = if wide { "wide|base64offset|contains" } else { "base64offset|contains" };
            let escaped = value.replace('\\', "\\\\").replace('*', "\\*").replace('?', "\\?");
            let m = build(spec, strs(&[&escaped]));
            let plain = format!("{pre}{value}{post}");
            let bytes: Vec<u8> = if wide {
                plain.encode_utf16().flat_map(u16::to_le_bytes).collect()
            } else {
                plain.into_bytes()
            };
            let enc = base64::engine::general_purpose::STANDARD.encode(bytes);
            prop_assert!(hit(&m, Some(ValueRef::Str(&enc))), "{} {:?} in {:?}", spec, value, enc);
            assert_needles(&m, &enc, spec);
        }

        #[test]
        fn windash_needles_hold(word in "[a-z]{1,5}", sep in "[\\-/\u{2013}\u{2014}\u{2015}]", pre in "[ a]{0,2}") {
            let m = build("contains|windash", strs(&[&format!(" -{word}")]));
            let hay = format!("{pre} {sep}{word}");
            prop_assert!(hit(&m, Some(ValueRef::Str(&hay))));
            assert_needles(&m, &hay, "windash");
        }
    }
}

mod oracle {
    use super::*;
    use rsigma_eval::{compile_rule, evaluate_rule, JsonEvent};

    /// Compares with rsigma-eval on items where the two agree by design.
    fn same(spec: &str, value: &str, event: &str) {
        let yaml = format!(
            "title: t\nlogsource: {{product: x}}\ndetection:\n  sel:\n    F{spec}: '{value}'\n  condition: sel\n"
        );
        let coll = rsigma_parser::parse_sigma_yaml(&yaml).unwrap();
        let rule = &coll.rules[0];
        let theirs = {
            let compiled = compile_rule(rule).unwrap();
            let json = serde_json::json!({ "F": event });
            evaluate_rule(&compiled, &JsonEvent::borrow(&json)).is_some()
        };
        let Some(rsigma_parser::Detection::AllOf(items)) = rule.detection.named.get("sel") else {
            panic!("unexpected detection shape");
        };
        let mut intern = |_: &str| FieldId(2);
        let placeholders = |_: &str| None;
        let mut warnings = Vec::new();
        let mut cx = CompileContext {
            intern: &mut intern,
            placeholders: &placeholders,
            warnings: &mut warnings,
        };
        let m =
            ValueMatcher::compile(&items[0].field.modifiers, &items[0].values, &mut cx).unwrap();
        let mine = hit(&m, Some(ValueRef::Str(event)));
        assert_eq!(mine, theirs, "F{spec}: {value:?} on {event:?}");
    }

    #[test]
    fn agrees_with_rsigma_eval() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("", "cmd.exe", &["CMD.exe", "cmd.exe2", "xcmd.exe"]),
            (
                "|contains",
                "powershell",
                &["C:\\PowerShell.exe", "power shell"],
            ),
            (
                "|endswith",
                "\\rundll32.exe",
                &["C:\\Windows\\RUNDLL32.EXE", "rundll32.exe"],
            ),
            (
                "|startswith",
                "C:\\Users\\",
                &["c:\\users\\a", "D:\\Users\\"],
            ),
            (
                "",
                "C:\\Win*\\sys?em32",
                &["c:\\windows\\system32", "c:\\windows\\sys32"],
            ),
            ("|re", "^a[0-9]+b$", &["a12b", "A12b", "a12bc"]),
            ("|re|i", "evil\\.exe", &["EVIL.EXE", "evilxexe"]),
            ("|cidr", "10.0.0.0/8", &["10.2.3.4", "11.2.3.4", "nope"]),
            ("|contains|cased", "Abc", &["xAbcx", "xabcx"]),
            // rsigma-eval compares base64 case-insensitively; base64 is not.
            ("|base64|contains", "cmd", &["aY21kb"]),
        ];
        for (spec, value, events) in cases {
            for e in *events {
                same(spec, value, e);
            }
        }
    }
}
