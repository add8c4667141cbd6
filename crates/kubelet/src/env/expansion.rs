//! `$(VAR)` expansion, as upstream's forked `expansion` package does it for
//! env values, command, args and `subPathExpr`.
//!
//! - `$(NAME)` is replaced by the mapping's value for `NAME`; a name the
//!   mapping does not know stays as written, `$(NAME)`.
//! - `$$` is an escaped `$`: it becomes one `$` and is never expanded, so
//!   `$$(NAME)` gives the literal `$(NAME)`.
//! - A `$` followed by anything else, an unterminated `$(`, or a trailing `$`
//!   are kept literally.

/// Expands `input` with `mapping`, which returns the value of a name or
/// `None` when the name is unknown (then the reference is kept as written).
pub fn expand(input: &str, mapping: impl Fn(&str) -> Option<String>) -> String {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    // Start of the input not yet copied to `out`.
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match rest.as_bytes()[0] {
                // `$$`: one literal `$`.
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest[1..].find(')') {
                    Some(close) => {
                        let name = &rest[1..1 + close];
                        match mapping(name) {
                            Some(value) => out.push_str(&value),
                            None => {
                                out.push_str("$(");
                                out.push_str(name);
                                out.push(')');
                            }
                        }
                        close + 2
                    }
                    // Unterminated reference: keep `$(` and go on after it.
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                // A `$` that starts nothing: keep it and the next character.
                _ => {
                    let next = rest.chars().next().map_or(1, char::len_utf8);
                    out.push('$');
                    out.push_str(&rest[..next]);
                    next
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    if checkpoint < input.len() {
        out.push_str(&input[checkpoint..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::expand;
    use std::collections::HashMap;

    fn vars() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("VAR_A", "A"),
            ("VAR_B", "B"),
            ("VAR_C", "C"),
            ("VAR_REF", "$(VAR_A)"),
            ("VAR_EMPTY", ""),
        ])
    }

    fn run(input: &str) -> String {
        let vars = vars();
        expand(input, |name| vars.get(name).map(|v| v.to_string()))
    }

    // The cases of upstream's expansion tests.
    #[test]
    fn expands_like_upstream() {
        let cases = [
            ("$(VAR_A)", "A"),
            ("___$(VAR_B)___", "___B___"),
            ("___$(VAR_C)", "___C"),
            ("$(VAR_A)-$(VAR_A)", "A-A"),
            ("$(VAR_A)-1", "A-1"),
            ("$(VAR_A)_$(VAR_B)_$(VAR_C)", "A_B_C"),
            ("$$(VAR_B)_$(VAR_A)", "$(VAR_B)_A"),
            ("$$(VAR_A)_$$(VAR_B)", "$(VAR_A)_$(VAR_B)"),
            ("f000-$$VAR_A", "f000-$VAR_A"),
            ("foo\\$(VAR_C)bar", "foo\\Cbar"),
            ("foo\\\\$(VAR_C)bar", "foo\\\\Cbar"),
            ("foo\\\\\\\\$(VAR_A)bar", "foo\\\\\\\\Abar"),
            ("$(VAR_A$(VAR_B))", "$(VAR_A$(VAR_B))"),
            ("$(VAR_A$(VAR_B)", "$(VAR_A$(VAR_B)"),
            ("$(VAR_REF)", "$(VAR_A)"),
            ("%%$(VAR_REF)--$(VAR_REF)%%", "%%$(VAR_A)--$(VAR_A)%%"),
            ("foo$(VAR_EMPTY)bar", "foobar"),
            ("$(VAR_A)$(VAR_A)$(VAR_A)", "AAA"),
            ("$(VAR_A)$(VAR_A)$(VAR_A", "AA$(VAR_A"),
            ("$(VAR_A)$(VAR_A)$(", "AA$("),
            ("$(VAR_A)$(VAR_A)$", "AA$"),
            ("$$$$$$(BIG_MONEY)", "$$$(BIG_MONEY)"),
            ("$$$$$$(VAR_A)", "$$$(VAR_A)"),
            ("$$$$$$$(GOOD_ODDS)", "$$$$(GOOD_ODDS)"),
            ("$$$$$$$(VAR_A)", "$$$A"),
            ("$(VAR_DNE)", "$(VAR_DNE)"),
            ("$()", "$()"),
            ("$(VAR_A$)", "$(VAR_A$)"),
            ("$", "$"),
            ("$$", "$"),
            ("$$$", "$$"),
            ("$(", "$("),
            ("$(foo", "$(foo"),
            ("$$(", "$("),
            ("$$(foo", "$(foo"),
            ("$$(foo)", "$(foo)"),
            ("$$$(VAR_A)", "$A"),
            ("$$$(", "$$("),
            ("$x", "$x"),
            ("$é!", "$é!"),
            ("plain", "plain"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(run(input), want, "expanding {input:?}");
        }
    }
}
