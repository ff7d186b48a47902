//! Label selectors: kubectl's `-l` syntax and `metav1.LabelSelector`,
//! parsed, matched against a label map and printed as Kubernetes prints
//! them.
//!
//! Follows `k8s.io/apimachinery/pkg/labels/selector.go` (lexer, parser,
//! `Requirement.Matches`, `Requirement.String`) and
//! `k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go`
//! (`LabelSelectorAsSelector`, `FormatLabelSelector`): `a=b`, `a==b`,
//! `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, joined by
//! commas; all requirements must hold. An empty selector selects
//! everything.

use std::collections::BTreeMap;
use std::fmt;

use k8s_pb::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// An operator of one requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Equals,
    /// `==`
    DoubleEquals,
    /// `!=`
    NotEquals,
    In,
    NotIn,
    /// `key` alone
    Exists,
    /// `!key`
    DoesNotExist,
    /// `key>N`
    GreaterThan,
    /// `key<N`
    LessThan,
}

/// One `key op values` requirement. Values are kept sorted and
/// deduplicated, as `sets.String` keeps them upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
    pub values: Vec<String>,
}

/// Requirements that must all hold. Kept sorted by key, as
/// `internalSelector.Add` keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

/// Why a selector is malformed. `position` is the byte offset in the
/// selector text where the problem was found (for `-l`), or the index of
/// the offending expression (for a `LabelSelector`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid label selector at position {position}: {message}")]
pub struct SelectorError {
    pub position: usize,
    pub message: String,
}

fn err<T>(position: usize, message: impl Into<String>) -> Result<T, SelectorError> {
    Err(SelectorError {
        position,
        message: message.into(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Identifier,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
    End,
}

#[derive(Debug, Clone)]
struct Item<'a> {
    tok: Tok,
    lit: &'a str,
    pos: usize,
}

fn is_special(c: u8) -> bool {
    matches!(c, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn special_token(s: &str) -> Option<Tok> {
    Some(match s {
        ")" => Tok::ClosedPar,
        "," => Tok::Comma,
        "!" => Tok::DoesNotExist,
        "==" => Tok::DoubleEquals,
        "=" => Tok::Equals,
        ">" => Tok::GreaterThan,
        "<" => Tok::LessThan,
        "!=" => Tok::NotEquals,
        "(" => Tok::OpenPar,
        _ => return None,
    })
}

/// The lexer of selector.go: whitespace separates, special symbols are
/// read longest-first, everything else up to a space or special symbol is
/// an identifier (`in` and `notin` are keywords).
fn lex(s: &str) -> Result<Vec<Item<'_>>, SelectorError> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    loop {
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            out.push(Item {
                tok: Tok::End,
                lit: "",
                pos: b.len(),
            });
            return Ok(out);
        }
        let start = i;
        if is_special(b[i]) {
            // Longest run of special symbols that is still a token.
            let mut end = i + 1;
            let mut best = special_token(&s[i..end]).map(|t| (t, end));
            while end < b.len() && is_special(b[end]) {
                end += 1;
                match special_token(&s[i..end]) {
                    Some(t) => best = Some((t, end)),
                    None => break,
                }
            }
            match best {
                Some((tok, e)) => {
                    out.push(Item {
                        tok,
                        lit: &s[start..e],
                        pos: start,
                    });
                    i = e;
                }
                None => {
                    return err(
                        start,
                        format!("error expected: keyword found '{}'", &s[start..end]),
                    );
                }
            }
        } else {
            while i < b.len() && !is_space(b[i]) && !is_special(b[i]) {
                i += 1;
            }
            let lit = &s[start..i];
            let tok = match lit {
                "in" => Tok::In,
                "notin" => Tok::NotIn,
                _ => Tok::Identifier,
            };
            out.push(Item {
                tok,
                lit,
                pos: start,
            });
        }
    }
}

struct Parser<'a> {
    items: Vec<Item<'a>>,
    at: usize,
}

impl<'a> Parser<'a> {
    /// The next item; in value context `in`/`notin` are identifiers.
    fn peek(&self, values: bool) -> Item<'a> {
        let mut it = self
            .items
            .get(self.at)
            .or(self.items.last())
            .cloned()
            .unwrap_or(Item {
                tok: Tok::End,
                lit: "",
                pos: 0,
            });
        if values && matches!(it.tok, Tok::In | Tok::NotIn) {
            it.tok = Tok::Identifier;
        }
        it
    }

    fn next(&mut self, values: bool) -> Item<'a> {
        let it = self.peek(values);
        if self.at < self.items.len() {
            self.at += 1;
        }
        it
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut reqs = Vec::new();
        loop {
            let it = self.peek(true);
            match it.tok {
                Tok::Identifier | Tok::DoesNotExist => {
                    reqs.push(self.requirement()?);
                    let t = self.next(true);
                    match t.tok {
                        Tok::End => return Ok(reqs),
                        Tok::Comma => {
                            let n = self.peek(true);
                            if !matches!(n.tok, Tok::Identifier | Tok::DoesNotExist) {
                                return err(
                                    n.pos,
                                    format!("found '{}', expected: identifier after ','", n.lit),
                                );
                            }
                        }
                        _ => {
                            return err(
                                t.pos,
                                format!("found '{}', expected: ',' or 'end of string'", t.lit),
                            );
                        }
                    }
                }
                Tok::End => return Ok(reqs),
                _ => {
                    return err(
                        it.pos,
                        format!(
                            "found '{}', expected: !, identifier, or 'end of string'",
                            it.lit
                        ),
                    );
                }
            }
        }
    }

    fn requirement(&mut self) -> Result<Requirement, SelectorError> {
        let mut op = None;
        let mut it = self.next(true);
        if it.tok == Tok::DoesNotExist {
            op = Some(Op::DoesNotExist);
            it = self.next(true);
        }
        if it.tok != Tok::Identifier {
            return err(it.pos, format!("found '{}', expected: identifier", it.lit));
        }
        let key = it.lit;
        validate_key(key).or_else(|m| err(it.pos, m))?;
        let after = self.peek(true);
        if matches!(after.tok, Tok::End | Tok::Comma) {
            return Ok(Requirement {
                key: key.to_string(),
                op: op.unwrap_or(Op::Exists),
                values: Vec::new(),
            });
        }
        if op == Some(Op::DoesNotExist) {
            return err(
                after.pos,
                format!("found '{}', expected: ',' or 'end of string'", after.lit),
            );
        }
        let o = self.next(false);
        let op = match o.tok {
            Tok::In => Op::In,
            Tok::NotIn => Op::NotIn,
            Tok::Equals => Op::Equals,
            Tok::DoubleEquals => Op::DoubleEquals,
            Tok::NotEquals => Op::NotEquals,
            Tok::GreaterThan => Op::GreaterThan,
            Tok::LessThan => Op::LessThan,
            _ => {
                return err(
                    o.pos,
                    format!("found '{}', expected: in, notin, =, ==, !=, gt, lt", o.lit),
                );
            }
        };
        let values_pos = self.peek(true).pos;
        let values = match op {
            Op::In | Op::NotIn => self.values()?,
            _ => self.exact_value()?,
        };
        new_requirement(key, op, values, true).or_else(|m| err(values_pos, m))
    }

    fn values(&mut self) -> Result<Vec<String>, SelectorError> {
        let open = self.next(true);
        if open.tok != Tok::OpenPar {
            return err(open.pos, format!("found '{}' expected: '('", open.lit));
        }
        let it = self.peek(true);
        match it.tok {
            Tok::Identifier | Tok::Comma => {
                let set = self.identifiers()?;
                let close = self.next(true);
                if close.tok != Tok::ClosedPar {
                    return err(close.pos, format!("found '{}', expected: ')'", close.lit));
                }
                Ok(set)
            }
            Tok::ClosedPar => {
                self.next(true);
                Ok(vec![String::new()])
            }
            _ => err(
                it.pos,
                format!("found '{}', expected: ',', ')' or identifier", it.lit),
            ),
        }
    }

    fn identifiers(&mut self) -> Result<Vec<String>, SelectorError> {
        let mut set: Vec<String> = Vec::new();
        loop {
            let it = self.next(true);
            match it.tok {
                Tok::Identifier => {
                    set.push(it.lit.to_string());
                    let n = self.peek(true);
                    match n.tok {
                        Tok::Comma => continue,
                        Tok::ClosedPar => return Ok(set),
                        _ => return err(n.pos, format!("found '{}', expected: ',' or ')'", n.lit)),
                    }
                }
                Tok::Comma => {
                    // `(,`, `,)` and `,,` stand for empty values.
                    if set.is_empty() {
                        set.push(String::new());
                    }
                    let n = self.peek(true);
                    if n.tok == Tok::ClosedPar {
                        set.push(String::new());
                        return Ok(set);
                    }
                    if n.tok == Tok::Comma {
                        self.next(true);
                        set.push(String::new());
                    }
                }
                _ => {
                    return err(
                        it.pos,
                        format!("found '{}', expected: ',', or identifier", it.lit),
                    );
                }
            }
        }
    }

    fn exact_value(&mut self) -> Result<Vec<String>, SelectorError> {
        let it = self.peek(true);
        if matches!(it.tok, Tok::End | Tok::Comma) {
            return Ok(vec![String::new()]);
        }
        let it = self.next(true);
        if it.tok == Tok::Identifier {
            return Ok(vec![it.lit.to_string()]);
        }
        err(it.pos, format!("found '{}', expected: identifier", it.lit))
    }
}

/// A label name: `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63.
fn valid_name(s: &str, max: usize) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= max
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A DNS-1123 subdomain (the optional key prefix).
fn valid_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|l| {
            let b = l.as_bytes();
            !b.is_empty()
                && b.len() <= 63
                && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
                && (b[b.len() - 1].is_ascii_lowercase() || b[b.len() - 1].is_ascii_digit())
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        })
}

/// `validation.IsQualifiedName`: `[prefix/]name`.
fn validate_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        if !valid_subdomain(p) {
            return Err(format!(
                "invalid label key {key:?}: prefix part must be a lowercase DNS subdomain"
            ));
        }
    }
    if !valid_name(name, 63) {
        return Err(format!(
            "invalid label key {key:?}: name part must be 63 characters or less, \
             alphanumeric, '-', '_' or '.', starting and ending with an alphanumeric character"
        ));
    }
    Ok(())
}

/// `validation.IsValidLabelValue`: empty, or a label name.
fn validate_value(v: &str) -> Result<(), String> {
    if v.is_empty() || valid_name(v, 63) {
        Ok(())
    } else {
        Err(format!(
            "invalid label value {v:?}: must be 63 characters or less, empty or \
             alphanumeric, '-', '_' or '.', starting and ending with an alphanumeric character"
        ))
    }
}

/// `labels.NewRequirement`: the value count each operator needs, and
/// valid values. Parsed values are a set upstream (`dedup`); a
/// LabelSelector's values are kept as listed (sorted when printed).
fn new_requirement(
    key: &str,
    op: Op,
    mut values: Vec<String>,
    dedup: bool,
) -> Result<Requirement, String> {
    validate_key(key)?;
    match op {
        Op::In | Op::NotIn if values.is_empty() => {
            return Err("for 'in', 'notin' operators, values set can't be empty".into());
        }
        Op::Equals | Op::DoubleEquals | Op::NotEquals if values.len() != 1 => {
            return Err("exact-match compatibility requires one single value".into());
        }
        Op::Exists | Op::DoesNotExist if !values.is_empty() => {
            return Err("values set must be empty for exists and does not exist".into());
        }
        Op::GreaterThan | Op::LessThan => {
            if values.len() != 1 {
                return Err("for 'Gt', 'Lt' operators, exactly one value is required".into());
            }
            if values[0].parse::<i64>().is_err() {
                return Err(format!(
                    "for 'Gt', 'Lt' operators, the value must be an integer, not {:?}",
                    values[0]
                ));
            }
        }
        _ => {}
    }
    // Every value must be a valid label value, integers for Gt/Lt too.
    for v in &values {
        validate_value(v)?;
    }
    values.sort();
    if dedup {
        values.dedup();
    }
    Ok(Requirement {
        key: key.to_string(),
        op,
        values,
    })
}

impl Requirement {
    /// `Requirement.Matches`.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let v = labels.get(&self.key);
        match self.op {
            Op::In | Op::Equals | Op::DoubleEquals => v.is_some_and(|v| self.values.contains(v)),
            Op::NotIn | Op::NotEquals => v.is_none_or(|v| !self.values.contains(v)),
            Op::Exists => v.is_some(),
            Op::DoesNotExist => v.is_none(),
            Op::GreaterThan | Op::LessThan => {
                let (Some(have), Some(want)) = (
                    v.and_then(|v| v.parse::<i64>().ok()),
                    self.values.first().and_then(|w| w.parse::<i64>().ok()),
                ) else {
                    return false;
                };
                if self.op == Op::GreaterThan {
                    have > want
                } else {
                    have < want
                }
            }
        }
    }
}

/// `Requirement.String`.
impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.op == Op::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let op = match self.op {
            Op::Exists | Op::DoesNotExist => return Ok(()),
            Op::Equals => "=",
            Op::DoubleEquals => "==",
            Op::NotEquals => "!=",
            Op::In => " in ",
            Op::NotIn => " notin ",
            Op::GreaterThan => ">",
            Op::LessThan => "<",
        };
        f.write_str(op)?;
        let list = matches!(self.op, Op::In | Op::NotIn);
        if list {
            f.write_str("(")?;
        }
        f.write_str(&self.values.join(","))?;
        if list {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// `internalSelector.String`: requirements joined by commas; empty for
/// a selector that selects everything.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl Selector {
    /// Parses kubectl's `-l` syntax (`labels.Parse`).
    pub fn parse(s: &str) -> Result<Selector, SelectorError> {
        let items = lex(s)?;
        let mut p = Parser { items, at: 0 };
        let mut requirements = p.parse()?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Selector { requirements })
    }

    /// A `metav1.LabelSelector` as a selector (`LabelSelectorAsSelector`):
    /// `None` selects nothing (`Ok(None)`), an empty one everything.
    /// `position` in errors is the index of the offending expression.
    pub fn from_label_selector(
        ls: Option<&LabelSelector>,
    ) -> Result<Option<Selector>, SelectorError> {
        let Some(ls) = ls else {
            return Ok(None);
        };
        let mut requirements = Vec::new();
        for (k, v) in &ls.match_labels {
            requirements.push(
                new_requirement(k, Op::Equals, vec![v.clone()], false).or_else(|m| err(0, m))?,
            );
        }
        for (i, e) in ls.match_expressions.iter().enumerate() {
            let op = match e.operator() {
                "In" => Op::In,
                "NotIn" => Op::NotIn,
                "Exists" => Op::Exists,
                "DoesNotExist" => Op::DoesNotExist,
                other => {
                    return err(
                        i,
                        format!("{other:?} is not a valid label selector operator"),
                    );
                }
            };
            requirements.push(
                new_requirement(e.key(), op, e.values.clone(), false).or_else(|m| err(i, m))?,
            );
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Some(Selector { requirements }))
    }

    /// Whether every requirement holds for `labels`.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Selects everything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }
}

/// Whether a `metav1.LabelSelector` selects `labels`: an absent selector
/// selects nothing, an empty one everything, an invalid one nothing (as
/// the controllers treat them).
pub fn label_selector_matches(
    ls: Option<&LabelSelector>,
    labels: &BTreeMap<String, String>,
) -> bool {
    matches!(Selector::from_label_selector(ls), Ok(Some(s)) if s.matches(labels))
}

/// `metav1.FormatLabelSelector`: the selector as text, `<none>` when it
/// selects everything or nothing, `<error>` when invalid.
pub fn format_label_selector(ls: Option<&LabelSelector>) -> String {
    match Selector::from_label_selector(ls) {
        Err(_) => "<error>".into(),
        Ok(s) => {
            let text = s.map(|s| s.to_string()).unwrap_or_default();
            if text.is_empty() {
                "<none>".into()
            } else {
                text
            }
        }
    }
}

/// `labels.FormatLabels`: `k=v` pairs sorted by key, `<none>` when empty.
pub fn format_labels(labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return "<none>".into();
    }
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_pb::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sel(s: &str) -> Selector {
        Selector::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    /// Cases from TestSelectorParse and TestSelectorMatches in
    /// k8s.io/apimachinery/pkg/labels/selector_test.go.
    #[test]
    fn parses_and_prints_like_upstream() {
        for (input, printed) in [
            ("", ""),
            ("x=a,y=b,z=c", "x=a,y=b,z=c"),
            ("x!=a,y=b", "x!=a,y=b"),
            ("x=", "x="),
            ("x= ", "x="),
            ("x=,z= ", "x=,z="),
            ("x= ,z= ", "x=,z="),
            ("!x", "!x"),
            ("x>1", "x>1"),
            ("x<1", "x<1"),
            ("x==a", "x==a"),
            ("x in (b,a)", "x in (a,b)"),
            ("x notin ( a )", "x notin (a)"),
            ("y,x", "x,y"),
            ("x in (),y", "x in (),y"),
            ("x in (a,),y", "x in (,a),y"),
            ("x in (,a),y", "x in (,a),y"),
            ("x in (a,,b)", "x in (,a,b)"),
            ("in in (in)", "in in (in)"),
            ("  app = web ,  tier!=db  ", "app=web,tier!=db"),
            ("example.com/team=a", "example.com/team=a"),
        ] {
            assert_eq!(sel(input).to_string(), printed, "{input:?}");
        }
    }

    #[test]
    fn malformed_selectors_name_the_position() {
        for (input, pos, part) in [
            ("x=a||y=b", 2, "invalid label value"),
            ("x==a==b", 4, "expected: ',' or 'end of string'"),
            ("!x=a", 2, "expected: ',' or 'end of string'"),
            ("x in a", 5, "expected: '('"),
            ("x in (a", 7, "expected: ',' or ')'"),
            ("x=a,", 4, "identifier after ','"),
            (",x", 0, "expected: !, identifier"),
            ("x>a", 2, "must be an integer"),
            ("x>-1", 2, "invalid label value"),
            ("x in (a b)", 8, "expected: ',' or ')'"),
            ("-x=a", 0, "invalid label key"),
            ("x=-a", 2, "invalid label value"),
            ("x=>", 2, "found '>', expected: identifier"),
        ] {
            let e = Selector::parse(input).expect_err(input);
            assert!(
                e.message.contains(part) || e.to_string().contains(part),
                "{input:?}: {e}"
            );
            assert_eq!(e.position, pos, "{input:?}: {e}");
            assert!(
                e.to_string()
                    .starts_with("invalid label selector at position ")
            );
        }
    }

    #[test]
    fn matches_like_upstream() {
        let l = labels(&[("x", "y"), ("z", "w"), ("n", "3")]);
        for (s, want) in [
            ("", true),
            ("x=y", true),
            ("x==y", true),
            ("x=z", false),
            ("x!=z", true),
            ("x!=y", false),
            ("missing!=y", true),
            ("x in (y,z)", true),
            ("x in (z)", false),
            ("x notin (z)", true),
            ("missing notin (z)", true),
            ("x notin (y)", false),
            ("x", true),
            ("missing", false),
            ("!missing", true),
            ("!x", false),
            ("x=y,z=w", true),
            ("x=y,z=v", false),
            ("n>2", true),
            ("n>3", false),
            ("n<4", true),
            ("x>1", false),
            ("missing<1", false),
        ] {
            assert_eq!(sel(s).matches(&l), want, "{s:?}");
        }
    }

    fn req(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: Some(key.into()),
            operator: Some(op.into()),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    /// metav1 helpers.go: LabelSelectorAsSelector and FormatLabelSelector
    /// (cases from TestLabelSelectorAsSelector / helpers_test.go).
    #[test]
    fn label_selectors() {
        let ls = LabelSelector {
            match_labels: labels(&[("foo", "bar"), ("baz", "blah")]),
            match_expressions: vec![
                req("qux", "In", &["b", "a"]),
                req("zap", "NotIn", &["c"]),
                req("alpha", "Exists", &[]),
                req("beta", "DoesNotExist", &[]),
            ],
        };
        assert_eq!(
            format_label_selector(Some(&ls)),
            "alpha,baz=blah,!beta,foo=bar,qux in (a,b),zap notin (c)"
        );
        let l = labels(&[("foo", "bar"), ("baz", "blah"), ("qux", "a"), ("alpha", "")]);
        assert!(label_selector_matches(Some(&ls), &l));
        let mut l2 = l.clone();
        l2.insert("beta".into(), "1".into());
        assert!(!label_selector_matches(Some(&ls), &l2));
        // nil selects nothing, empty selects everything.
        assert!(!label_selector_matches(None, &l));
        assert!(label_selector_matches(Some(&LabelSelector::default()), &l));
        assert_eq!(format_label_selector(None), "<none>");
        assert_eq!(
            format_label_selector(Some(&LabelSelector::default())),
            "<none>"
        );
        // Bad operator, and In with no values.
        let bad = LabelSelector {
            match_expressions: vec![req("a", "Exists", &[]), req("b", "Gt", &["1"])],
            ..Default::default()
        };
        let e = Selector::from_label_selector(Some(&bad))
            .expect_err("Gt is not a LabelSelector operator");
        assert_eq!(e.position, 1);
        assert_eq!(format_label_selector(Some(&bad)), "<error>");
        let empty_in = LabelSelector {
            match_expressions: vec![req("a", "In", &[])],
            ..Default::default()
        };
        assert!(Selector::from_label_selector(Some(&empty_in)).is_err());
        assert!(!label_selector_matches(Some(&empty_in), &l));
    }

    #[test]
    fn formats_label_maps() {
        assert_eq!(format_labels(&labels(&[("b", "2"), ("a", "1")])), "a=1,b=2");
        assert_eq!(format_labels(&BTreeMap::new()), "<none>");
    }

    /// What the k8s_selector fuzz target checks, on generated selectors:
    /// an accepted selector prints as text that parses back to itself.
    #[test]
    fn printing_is_a_fixed_point() {
        let atoms = [
            "a", "b.c/d", "in", "notin", "x1", "=", "==", "!=", "!", "(", ")", ",", " ", ">", "<",
            "-", "1", "", "z_z",
        ];
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut accepted = 0;
        for _ in 0..20_000 {
            let mut text = String::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = (x % 9) as usize;
            for i in 0..n {
                text.push_str(atoms[((x >> (i * 5)) % atoms.len() as u64) as usize]);
            }
            match Selector::parse(&text) {
                Ok(sel) => {
                    accepted += 1;
                    let printed = sel.to_string();
                    let again = Selector::parse(&printed)
                        .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}: {e}"));
                    assert_eq!(again, sel, "{text:?} -> {printed:?}");
                }
                Err(e) => assert!(e.position <= text.len(), "{text:?}: {e}"),
            }
        }
        assert!(accepted > 1000, "{accepted}");
    }
}
