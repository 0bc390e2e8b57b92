//! Clinical codes: ICD-10-CM diagnoses and National Drug Codes.

use super::Digits;

/// The ICD-10-CM categories whose third character is a letter (Merkel cell
/// carcinoma, neuroendocrine tumors, carcinoma in situ of skin, gout,
/// weeks of gestation). Every other category ends in a digit.
const LETTER_CATEGORIES: [&[u8; 3]; 6] = [b"C4A", b"C7A", b"C7B", b"D3A", b"M1A", b"Z3A"];

/// ICD-10-CM diagnosis code: a category of 3 characters, then optionally a
/// `.` and 1–4 more letters or digits (subcategory, placeholder `X`, 7th
/// character extension), e.g. `E11`, `E11.9`, `S72.001A`, `T36.0X1A`,
/// `O32.1XX0`. Letters in either case.
///
/// The category is a letter, a digit, then a digit, with two exceptions:
/// the letter may be `U` only in `U07` and `U09` (the COVID-19 codes; the
/// rest of chapter U is reserved by WHO and not used in ICD-10-CM), and the
/// third character may be a letter only in the six categories that have one
/// (`C4A`, `C7A`, `C7B`, `D3A`, `M1A`, `Z3A`). This rejects SKU-like
/// strings such as `A1B`. Codes written without the dot (`E119`, the X12
/// claim form) are accepted as 4–7 characters of the same shape: the
/// scanner must ask for context before trusting them.
pub(super) fn icd10(s: &[u8]) -> bool {
    let (category, rest) = match s {
        [a, b, c, rest @ ..] => ([*a, *b, *c].map(|x| x.to_ascii_uppercase()), rest),
        _ => return false,
    };
    if !category_ok(&category) {
        return false;
    }
    let tail = match rest {
        [] => return true,
        [b'.', tail @ ..] => tail,
        tail => tail,
    };
    (1..=4).contains(&tail.len()) && tail.iter().all(u8::is_ascii_alphanumeric)
}

fn category_ok(c: &[u8; 3]) -> bool {
    let [letter, digit, third] = *c;
    if !letter.is_ascii_uppercase() || !digit.is_ascii_digit() {
        return false;
    }
    if letter == b'U' && c != b"U07" && c != b"U09" {
        return false;
    }
    third.is_ascii_digit() || LETTER_CATEGORIES.contains(&c)
}

/// The segment lengths of the NDC forms with dashes: the three 10-digit FDA
/// forms (labeler-product-package) and the 11-digit HIPAA form.
const NDC_FORMS: [[usize; 3]; 4] = [[4, 4, 2], [5, 3, 2], [5, 4, 1], [5, 4, 2]];

/// National Drug Code: three segments labeler-product-package with dashes in
/// one of the forms 4-4-2, 5-3-2, 5-4-1 (10 digits, FDA) or 5-4-2 (11
/// digits, the zero-padded HIPAA form), or the 11-digit form bare. A bare
/// 10-digit number is not accepted: its segmentation is ambiguous and most
/// such numbers are phone numbers or ids. The labeler code (assigned by the
/// FDA) is never zero; product and package codes may be.
pub(super) fn ndc(s: &[u8]) -> bool {
    let mut segments = s.split(|&b| b == b'-');
    let (Some(a), b, c, None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return false;
    };
    let lens = match (b, c) {
        (Some(b), Some(c)) => [a.len(), b.len(), c.len()],
        (None, None) if a.len() == 11 => [5, 4, 2],
        _ => return false,
    };
    if !NDC_FORMS.contains(&lens) {
        return false;
    }
    let mut d = Digits::new();
    for &x in s.iter().filter(|&&x| x != b'-') {
        if !x.is_ascii_digit() || !d.push(x - b'0') {
            return false;
        }
    }
    // The FDA assigns labeler codes (none is zero); product and package
    // codes are the firm's own, and zero is one of them (`-00`, `-0`).
    d.number(0, lens[0]) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icd10_shapes() {
        for ok in [
            "E11", "E11.9", "e11.9", "S72.001A", "T36.0X1A", "C4A.0", "U07.1", "E119", "O32.1XX0",
        ] {
            assert!(icd10(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "A1B",
            "U12.3",
            "E1",
            "11.9",
            "E11.",
            "E11.12345",
            "EE1.2",
            "E11-9",
            "E11.9!",
        ] {
            assert!(!icd10(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn ndc_forms() {
        for ok in [
            "0002-3227-30",
            "50090-347-01",
            "00093-7146-5",
            "00002-3227-30",
            "00002322730",
            "0002-3227-00",
            "50090-0347-0",
        ] {
            assert!(ndc(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "0002322730",
            "0000-3227-30",
            "00000-3227-30",
            "002-3227-30",
            "0002-3227-3a",
            "0002--3227-30",
        ] {
            assert!(!ndc(bad.as_bytes()), "{bad}");
        }
    }
}
