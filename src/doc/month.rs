//! `YYYY-MM`: the month granularity the plan uses for periods and milestones.

use std::fmt;
use std::str::FromStr;

/// A calendar month, ordered in time. Written and read as `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    pub year: u16,
    pub month: u8,
}

impl FromStr for YearMonth {
    type Err = String;

    fn from_str(s: &str) -> Result<YearMonth, String> {
        let bad = || format!("\"{s}\" is not a month written as YYYY-MM (e.g. 2021-01)");
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' || !s.is_char_boundary(4) {
            return Err(bad());
        }
        let year: u16 = s[..4].parse().map_err(|_| bad())?;
        let month: u8 = s[5..].parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || !s[..4].bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        Ok(YearMonth { year, month })
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl serde::Serialize for YearMonth {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders_months() {
        let a: YearMonth = "2021-01".parse().unwrap();
        let b: YearMonth = "2020-12".parse().unwrap();
        assert!(b < a);
        assert_eq!(a.to_string(), "2021-01");
        for bad in [
            "2021-13",
            "2021-1",
            "21-01",
            "2021/01",
            "２０２１-01",
            "",
            "2021-00",
            "+021-01",
        ] {
            assert!(bad.parse::<YearMonth>().is_err(), "{bad}");
        }
    }
}
