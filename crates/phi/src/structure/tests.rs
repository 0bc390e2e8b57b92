use super::*;

/// A stand-in detector: `ddd-dd-dddd` or nine digits in a row, between
/// non-digits, is a `US_SSN` (score 0.9 under a key, 0.6 without).
pub(crate) struct FakeSsn;

impl Detect for FakeSsn {
    fn detect(&self, text: &str, key: Option<&str>, out: &mut Vec<Match>) {
        for (start, end) in fake_ssns(text.as_bytes()) {
            out.push(Match {
                start,
                end,
                ty: PhiType::UsSsn,
                score: if key.is_some() { 0.9 } else { 0.6 },
                validated: true,
            });
        }
    }
}

/// The spans of SSN-shaped values in `b`.
pub(crate) fn fake_ssns(b: &[u8]) -> Vec<(usize, usize)> {
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let shape = |i: usize, pat: &[u8]| {
        pat.iter().enumerate().all(|(k, &p)| match p {
            b'd' => digit(i + k),
            c => b.get(i + k) == Some(&c),
        })
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let free_before = i == 0 || !digit(i - 1);
        let hit = [&b"ddd-dd-dddd"[..], &b"ddddddddd"[..]]
            .into_iter()
            .find(|p| free_before && shape(i, p) && !digit(i + p.len()));
        match hit {
            Some(p) => {
                out.push((i, i + p.len()));
                i += p.len();
            }
            None => i += 1,
        }
    }
    out
}

fn run(doc: &str, layout: Layout) -> Vec<Found> {
    run_bytes(doc.as_bytes(), layout)
}

fn run_bytes(doc: &[u8], layout: Layout) -> Vec<Found> {
    let mut out = Vec::new();
    scan_with(&FakeSsn, doc, layout, &mut out);
    out
}

/// (start, end, line, key) of each finding.
fn spans(found: &[Found]) -> Vec<(usize, usize, u64, Option<&str>)> {
    found
        .iter()
        .map(|f| (f.start, f.end, f.line, f.key.as_deref()))
        .collect()
}

fn at(doc: &str, needle: &str) -> (usize, usize) {
    let s = doc.find(needle).expect("needle in doc");
    (s, s + needle.len())
}

#[test]
fn text_lines_keep_document_offsets_and_line_numbers() {
    let doc = "first line\r\nssn 219-45-6781 here\nand 219456781\n";
    let f = run(doc, Layout::Text);
    let (a, b) = at(doc, "219-45-6781");
    let (c, d) = at(doc, "219456781");
    assert_eq!(spans(&f), vec![(a, b, 2, None), (c, d, 3, None)]);
}

#[test]
fn query_values_are_decoded_and_mapped_to_encoded_bytes() {
    let doc = "GET /p?name=x&ssn=219%2D45%2D6781&z=1 HTTP/1.1\n";
    let f = run(doc, Layout::Text);
    let (a, b) = at(doc, "219%2D45%2D6781");
    assert_eq!(spans(&f), vec![(a, b, 1, Some("ssn"))]);
    // A digit written as an escape at the very end: the span covers it.
    let doc = "x https://h.example/a?id=21945678%31#frag";
    let f = run(doc, Layout::Text);
    let (a, b) = at(doc, "21945678%31");
    assert_eq!(spans(&f), vec![(a, b, 1, Some("id"))]);
    // Only the middle of a value: the span starts and ends inside it.
    let doc = "/r?q=ssn%3A219-45-6781%20ok";
    let (a, b) = at(doc, "219-45-6781");
    assert_eq!(spans(&run(doc, Layout::Text)), vec![(a, b, 1, Some("q"))]);
}

#[test]
fn plain_query_values_are_reported_once_with_their_key() {
    let doc = "GET /api?member=219-45-6781 200";
    let f = run(doc, Layout::Text);
    let (a, b) = at(doc, "219-45-6781");
    assert_eq!(spans(&f), vec![(a, b, 1, Some("member"))]);
    assert!((f[0].score - 0.9).abs() < 1e-6, "the keyed score wins");
    // A '?' after a blank is a question, not a query string.
    let f = run("who? a=219-45-6781", Layout::Text);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].key, None);
}

#[test]
fn query_names_are_decoded_and_plus_is_a_space() {
    assert_eq!(query::decode_str("a+b%20c%zz%4"), "a b c%zz%4");
    let doc = "/x?patient%5Fssn=219+45+6781x&y=219456781";
    let f = run(doc, Layout::Text);
    let (c, d) = at(doc, "219456781");
    assert_eq!(spans(&f), vec![(c, d, 1, Some("y"))]);
}

#[test]
fn csv_cells_are_scanned_under_their_headers() {
    let doc = "name,\"ssn, primary\",note\r\n\"Doe, J\",\"219-45-6781\",\"said \"\"219456781\"\"\"\r\nx,219-45-6782,\r\n";
    let f = run(doc, Layout::Csv(b','));
    let (a, b) = at(doc, "219-45-6781");
    let (c, d) = at(doc, "219456781");
    let (e, g) = at(doc, "219-45-6782");
    assert_eq!(
        spans(&f),
        vec![
            (a, b, 2, Some("ssn, primary")),
            (c, d, 2, Some("note")),
            (e, g, 3, Some("ssn, primary")),
        ]
    );
}

#[test]
fn csv_quotes_and_line_breaks_in_cells() {
    let doc = "a,b\n\"x\"\"y\",\"two\nlines\"\nlast,\"open";
    let r = csv::records(doc.as_bytes(), b',');
    let texts: Vec<Vec<&str>> = r
        .iter()
        .map(|row| row.iter().map(|c| c.0.as_str()).collect())
        .collect();
    assert_eq!(
        texts,
        vec![
            vec!["a", "b"],
            vec!["x\"y", "two\nlines"],
            vec!["last", "open"]
        ]
    );
    // An SSN after doubled quotes maps past them.
    let doc = "k\n\"\"\"\"\"219-45-6781\"\n";
    let (a, b) = at(doc, "219-45-6781");
    assert_eq!(
        spans(&run(doc, Layout::Csv(b','))),
        vec![(a, b, 2, Some("k"))]
    );
    // A file without a header: its first row is scanned, without a key.
    let doc = "219-45-6781,x,y\n";
    assert_eq!(spans(&run(doc, Layout::Auto)), vec![(0, 11, 1, None)]);
}

#[test]
fn tsv_and_unknown_columns() {
    let doc = "id\tssn\tnote\n1\t219-45-6781\t219456781\n";
    assert_eq!(run(doc, Layout::Auto), run(doc, Layout::Csv(b'\t')));
    let doc = "id\tssn\n1\t219-45-6781\t219456781\n";
    let f = run(doc, Layout::Csv(b'\t'));
    let (a, b) = at(doc, "219-45-6781");
    let (c, d) = at(doc, "219456781");
    assert_eq!(spans(&f), vec![(a, b, 2, Some("ssn")), (c, d, 2, None)]);
}

#[test]
fn json_values_have_key_paths() {
    let doc = r#"{"patient": {"identifier": [{"value": "219-45-6781"}, {"value": 219456781}],
 "n": null, "ok": true, "f": -1.5e3, "e": [], "o": {}}}"#;
    let f = run(doc, Layout::Json);
    let (a, b) = at(doc, "219-45-6781");
    let (c, d) = at(doc, "219456781");
    assert_eq!(
        spans(&f),
        vec![
            (a, b, 1, Some("patient.identifier[0].value")),
            (c, d, 1, Some("patient.identifier[1].value")),
        ]
    );
    assert_eq!(run(doc, Layout::Auto), f);
}

#[test]
fn json_escapes_map_to_their_bytes() {
    let (text, map) = json::unescape_for_test(r#"a\u00e9\"\ud83d\ude00b"#).expect("valid");
    assert_eq!(text, "aé\"\u{1f600}b");
    assert_eq!(map, vec![0, 1, 1, 7, 9, 9, 9, 9, 21, 22]);
    let doc = r#"{"k\u0073n": "\u0032\u0031\u0039-45-678\u0031 x"}"#;
    let f = run(doc, Layout::Json);
    let (a, _) = at(doc, r#"\u0032"#);
    let (_, b) = at(doc, r#"678\u0031"#);
    assert_eq!(spans(&f), vec![(a, b, 1, Some("ksn"))]);
}

#[test]
fn ndjson_lines_and_text_fallback() {
    let doc = "{\"a\":\"219-45-6781\"}\n\n{\"b\":[\"x\",\"219456781\"]}\nnot json 219-45-6782\n";
    let f = run(doc, Layout::Auto);
    let (a, b) = at(doc, "219-45-6781");
    let (c, d) = at(doc, "219456781");
    let (e, g) = at(doc, "219-45-6782");
    assert_eq!(
        spans(&f),
        vec![
            (a, b, 1, Some("a")),
            (c, d, 3, Some("b[1]")),
            (e, g, 4, None)
        ]
    );
}

#[test]
fn broken_json_is_read_as_text() {
    let doc = "{\"a\": \"219-45-6781\", oops";
    let (a, b) = at(doc, "219-45-6781");
    assert_eq!(spans(&run(doc, Layout::Json)), vec![(a, b, 1, None)]);
    let deep = format!("{}\"219-45-6781\"{}", "[".repeat(300), "]".repeat(300));
    let (a, b) = at(&deep, "219-45-6781");
    assert_eq!(spans(&run(&deep, Layout::Json)), vec![(a, b, 1, None)]);
}

#[test]
fn layouts_are_detected_by_content() {
    assert_eq!(detect_layout(b"  {\"a\":1}\n"), Layout::Json);
    assert_eq!(detect_layout(b"[1,\n2]"), Layout::Json);
    assert_eq!(detect_layout(b"{\"a\":1}\n{\"a\":2}\n"), Layout::Ndjson);
    assert_eq!(detect_layout(b"a,b,c\r\n1,2,3\r\n"), Layout::Csv(b','));
    assert_eq!(detect_layout(b"a\tb\tc\n1\t2\t3\n"), Layout::Csv(b'\t'));
    assert_eq!(detect_layout(b"a,b,c\n1,2\n"), Layout::Text);
    assert_eq!(detect_layout(b"hello, world\n"), Layout::Text);
    let log = b"INFO batch done in 35 ms, queue 12, nothing to report here at all\n";
    assert_eq!(detect_layout(log), Layout::Text);
    assert_eq!(
        detect_layout(b"Patient Name;DOB;SSN\nx;y;z\n"),
        Layout::Csv(b';')
    );
    assert_eq!(detect_layout(b""), Layout::Text);
}

#[test]
fn invalid_utf8_keeps_byte_offsets() {
    let doc = b"\xff\xfe219-45-6781\xc3 219456781\xe2\x82";
    let f = run_bytes(doc, Layout::Text);
    assert_eq!(spans(&f), vec![(2, 13, 1, None), (15, 24, 1, None)]);
}

#[test]
fn the_real_scanner_runs_on_every_layout() {
    let scanner = Scanner::new(crate::ScanConfig::default());
    let docs: [&[u8]; 4] = [
        b"ssn 219-45-6781\n",
        b"ssn,card\n219-45-6781,4111 1111 1111 1111\n",
        b"{\"ssn\":\"219-45-6781\"}",
        b"GET /a?ssn=219%2D45%2D6781 200\n",
    ];
    for doc in docs {
        let mut out = Vec::new();
        scan_document(&scanner, doc, Layout::Auto, &mut out);
        for f in &out {
            assert!(f.start < f.end && f.end <= doc.len(), "{f:?}");
        }
    }
}

proptest::proptest! {
    #[test]
    fn findings_are_in_bounds_and_sorted(doc in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
                                         layout in 0usize..5) {
        let layout = [Layout::Auto, Layout::Text, Layout::Csv(b','), Layout::Json, Layout::Ndjson][layout];
        let f = run_bytes(&doc, layout);
        for w in f.windows(2) {
            proptest::prop_assert!(w[0].start <= w[1].start);
        }
        for x in &f {
            proptest::prop_assert!(x.start < x.end && x.end <= doc.len());
        }
    }
}

/// Plain text scanned in one pass finds what scanning it line by line
/// finds, on every document of the labeled corpus and on mixed log text.
#[test]
fn text_in_one_pass_equals_line_by_line() {
    let scanner = Scanner::new(crate::ScanConfig::default());
    let mut texts: Vec<String> = crate::corpus::generate(3, 2)
        .docs
        .into_iter()
        .map(|d| d.text)
        .collect();
    texts.push(crate::corpus::mixed_logs(5, 200_000));
    texts.push("a\r\nssn 536-22-8741\r\n1::\nPatient Jane Doe\n\n?x=536-22-8741".into());
    let mut total = 0;
    for text in &texts {
        let bytes = text.as_bytes();
        let mut whole = Vec::new();
        scan_document(&scanner, bytes, Layout::Text, &mut whole);
        let mut lines = Vec::new();
        let mut start = 0;
        for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
            let mut found = Vec::new();
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            scan_document(&scanner, line, Layout::Text, &mut found);
            for mut f in found {
                f.start += start;
                f.end += start;
                f.line = n as u64 + 1;
                lines.push(f);
            }
            start += bytes[start..]
                .iter()
                .position(|b| *b == b'\n')
                .map_or(0, |i| i + 1);
        }
        assert_eq!(whole, lines);
        total += whole.len();
    }
    assert!(total > 1000, "{total}");
}

/// A Zeek TSV log: columns named by `#fields`, metadata lines skipped, so a
/// nine-digit byte count is no SSN and an address carries its column name.
#[test]
fn zeek_tsv_takes_its_header_from_fields() {
    let log = "#separator \\x09\n#set_separator\t,\n#path\tconn\n#open\t2026-11-02-00-00-00\n\
#fields\tts\tuid\tid.orig_h\tid.orig_p\torig_bytes\tresp_bytes\n\
#types\ttime\tstring\taddr\tport\tcount\tcount\n\
1762041600.123456\tCx1\t10.1.2.3\t52311\t536228741\t219456781\n\
#close\t2026-11-02-01-00-00\n";
    assert_eq!(detect_layout(log.as_bytes()), Layout::Csv(b'\t'));
    let scanner = Scanner::new(crate::ScanConfig::default());
    let mut found = Vec::new();
    scan_document(&scanner, log.as_bytes(), Layout::Auto, &mut found);
    let got: Vec<(PhiType, Option<&str>)> =
        found.iter().map(|f| (f.ty, f.key.as_deref())).collect();
    assert_eq!(got, [(PhiType::IpAddress, Some("id.orig_h"))]);
    assert_eq!(found[0].line, 7);
    // As plain text, the byte counts read as SSNs.
    found.clear();
    scan_document(&scanner, log.as_bytes(), Layout::Text, &mut found);
    assert!(found.iter().any(|f| f.ty == PhiType::UsSsn));
}
