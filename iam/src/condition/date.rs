//! Dates for the `Date…` operators: ISO 8601 (the W3C profile) or epoch seconds.
//!
//! "Date condition operators … compare against date/time values in one of the W3C
//! implementations of the ISO 8601 date formats … or in epoch (UNIX) time"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date>).
//! The W3C profile (<https://www.w3.org/TR/NOTE-datetime>) is `YYYY`, `YYYY-MM`, `YYYY-MM-DD`,
//! `YYYY-MM-DDThh:mmTZD`, `YYYY-MM-DDThh:mm:ssTZD` and `YYYY-MM-DDThh:mm:ss.sTZD`. A time
//! without zone is read as UTC. A value of digits only is epoch seconds.

/// Milliseconds since 1970-01-01T00:00:00Z, or `None` when `text` is not a date.
pub(crate) fn parse(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().ok()?.checked_mul(1000);
    }
    parse_iso(text)
}

fn parse_iso(text: &str) -> Option<i64> {
    let mut cursor = Cursor { text: text.as_bytes(), at: 0 };
    let year = cursor.number(4)?;
    let (mut month, mut day) = (1, 1);
    let mut millis_of_day = 0;
    let mut offset_minutes = 0;
    if cursor.eat(b'-') {
        month = cursor.number(2)?;
        if cursor.eat(b'-') {
            day = cursor.number(2)?;
            if cursor.eat(b'T') || cursor.eat(b't') || cursor.eat(b' ') {
                let hour = cursor.number(2)?;
                if !cursor.eat(b':') {
                    return None;
                }
                let minute = cursor.number(2)?;
                let (mut second, mut millis) = (0, 0);
                if cursor.eat(b':') {
                    second = cursor.number(2)?;
                    if cursor.eat(b'.') {
                        millis = cursor.fraction_millis()?;
                    }
                }
                if hour > 24
                    || minute > 59
                    || second > 60
                    || (hour == 24 && (minute, second, millis) != (0, 0, 0))
                {
                    return None;
                }
                millis_of_day = ((hour * 60 + minute) * 60 + second) * 1000 + millis;
                offset_minutes = cursor.zone()?;
            }
        }
    }
    if !cursor.done() || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400_000 + millis_of_day - offset_minutes * 60_000)
}

struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn eat(&mut self, byte: u8) -> bool {
        if self.text.get(self.at) == Some(&byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// Exactly `width` ASCII digits.
    fn number(&mut self, width: usize) -> Option<i64> {
        let digits = self.text.get(self.at..self.at + width)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at += width;
        Some(digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    }

    /// One or more digits of a decimal fraction of a second, as milliseconds (truncated).
    fn fraction_millis(&mut self) -> Option<i64> {
        let start = self.at;
        while self.text.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        let digits = &self.text[start..self.at];
        if digits.is_empty() {
            return None;
        }
        Some((0..3).fold(0, |n, i| n * 10 + digits.get(i).map_or(0, |d| i64::from(d - b'0'))))
    }

    /// `Z`, `±hh:mm`, `±hhmm`, `±hh`, or nothing (UTC); minutes east of UTC.
    fn zone(&mut self) -> Option<i64> {
        if self.eat(b'Z') || self.eat(b'z') || self.done() {
            return Some(0);
        }
        let sign = if self.eat(b'+') {
            1
        } else if self.eat(b'-') {
            -1
        } else {
            return None;
        };
        let hours = self.number(2)?;
        let minutes = if self.eat(b':') { self.number(2)? } else { self.number(2).unwrap_or(0) };
        (hours <= 23 && minutes <= 59).then_some(sign * (hours * 60 + minutes))
    }

    fn done(&self) -> bool {
        self.at == self.text.len()
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn formats() {
        let jan_2024 = Some(1_704_067_200_000);
        let cases: &[(&str, Option<i64>)] = &[
            ("1704067200", jan_2024),
            ("0", Some(0)),
            ("-86400", Some(-86_400_000)),
            ("2024-01-01T00:00:00Z", jan_2024),
            ("2024-01-01T00:00:00.000Z", jan_2024),
            ("2024-01-01T00:00:00.5Z", Some(1_704_067_200_500)),
            ("2024-01-01T00:00Z", jan_2024),
            ("2024-01-01T00:00:00", jan_2024),
            ("2024-01-01", jan_2024),
            ("2024-01", jan_2024),
            ("2024-01-01T02:00:00+02:00", jan_2024),
            ("2023-12-31T19:00:00-05:00", jan_2024),
            ("2023-12-31T19:00:00-0500", jan_2024),
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2000-02-29T00:00:00Z", Some(951_782_400_000)),
            ("2023-02-29", None),
            ("2024-13-01", None),
            ("2024-01-32", None),
            ("2024-01-01T25:00:00Z", None),
            ("2024-01-01T00:00:00Q", None),
            ("2024-1-1", None),
            ("yesterday", None),
            ("", None),
            ("12.5", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), *expected, "{text}");
        }
    }
}
