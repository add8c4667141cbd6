//! Resource quantities (`500m`, `1Gi`, `2.5`, `1e3`), parsed far enough to compare
//! them, as upstream's `resource.Quantity` compares.

use std::cmp::Ordering;

/// A quantity in units of 10^-9 (nano), saturating at the ends of `i128`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(pub i128);

const NANOS: i128 = 1_000_000_000;

impl Quantity {
    /// Parses upstream's quantity grammar: a signed decimal number followed by a
    /// binary suffix (`Ki` .. `Ei`), a decimal suffix (`n`, `u`, `m`, `k`, `M`,
    /// `G`, `T`, `P`, `E`) or an exponent (`e3`, `E-2`).
    pub fn parse(text: &str) -> Option<Quantity> {
        let text = text.trim();
        let (negative, unsigned) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let number_end = unsigned
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(unsigned.len());
        let (number, suffix) = unsigned.split_at(number_end);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let whole: i128 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        // Nine fractional digits are kept; finer ones round up, as upstream rounds.
        let mut fraction_nanos: i128 = 0;
        for (i, digit) in fraction.bytes().enumerate() {
            let digit = i128::from(digit - b'0');
            if i < 9 {
                fraction_nanos += digit * 10_i128.pow(8 - i as u32);
            } else if digit > 0 {
                fraction_nanos += 1;
                break;
            }
        }
        let base = whole.saturating_mul(NANOS).saturating_add(fraction_nanos);
        let scaled = match suffix {
            "Ki" => base.saturating_mul(1 << 10),
            "Mi" => base.saturating_mul(1 << 20),
            "Gi" => base.saturating_mul(1 << 30),
            "Ti" => base.saturating_mul(1 << 40),
            "Pi" => base.saturating_mul(1 << 50),
            "Ei" => base.saturating_mul(1 << 60),
            other => {
                let exponent: i32 = match other {
                    "" => 0,
                    "n" => -9,
                    "u" => -6,
                    "m" => -3,
                    "k" => 3,
                    "M" => 6,
                    "G" => 9,
                    "T" => 12,
                    "P" => 15,
                    "E" => 18,
                    e if e.starts_with(['e', 'E']) => e[1..].parse().ok()?,
                    _ => return None,
                };
                scale(base, exponent)
            }
        };
        Some(Quantity(if negative { -scaled } else { scaled }))
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

/// `value * 10^exponent`, rounding a division up.
fn scale(value: i128, exponent: i32) -> i128 {
    match exponent.cmp(&0) {
        Ordering::Equal => value,
        Ordering::Greater => {
            let factor = 10_i128
                .checked_pow(exponent.unsigned_abs())
                .unwrap_or(i128::MAX);
            value.saturating_mul(factor)
        }
        Ordering::Less => {
            let Some(divisor) = 10_i128.checked_pow(exponent.unsigned_abs()) else {
                return i128::from(value > 0);
            };
            let quotient = value / divisor;
            if value % divisor > 0 {
                quotient + 1
            } else {
                quotient
            }
        }
    }
}

impl std::ops::Add for Quantity {
    type Output = Quantity;

    fn add(self, other: Quantity) -> Quantity {
        Quantity(self.0.saturating_add(other.0))
    }
}

#[cfg(test)]
mod tests {
    use super::Quantity;

    #[test]
    fn parses_and_compares() {
        let q = |s: &str| Quantity::parse(s).unwrap_or_else(|| panic!("{s}"));
        assert_eq!(q("1"), q("1000m"));
        assert_eq!(q("0.5"), q("500m"));
        assert_eq!(q("1Ki"), q("1024"));
        assert_eq!(q("1e3"), q("1k"));
        assert_eq!(q("1.5Gi"), q("1536Mi"));
        assert!(q("100m") < q("1"));
        assert!(q("-1").is_negative());
        assert!(Quantity::parse("abc").is_none());
        assert!(Quantity::parse("1X").is_none());
        assert!(Quantity::parse("").is_none());
    }
}
