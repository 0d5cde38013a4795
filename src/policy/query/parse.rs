//! The expression's lexer and recursive-descent parser; fields and literals are checked here,
//! so that a query that parses can only be true, false or unknown for an app.

use super::{Builtin, Cmp, Expr, Fields, Kind, Lit, QueryError, Source};
use crate::catalog::factors::FactorType;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    /// A number with a size unit (`500MB`), for the byte fields only.
    Size(f64),
    Op(&'static str),
    End,
}

fn lex(text: &str) -> Result<Vec<(Tok, usize)>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |column: usize, message: String| QueryError { column, message };
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let s = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.') {
                i += 1;
            }
            out.push((Tok::Ident(chars[s..i].iter().collect()), col));
        } else if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let s = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let num: String = chars[s..i].iter().collect();
            let u = i;
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            let unit: String = chars[u..i].iter().collect();
            let v = if unit.is_empty() {
                num.parse::<f64>().ok()
            } else if num.starts_with('-') {
                None
            } else {
                crate::base::units::parse_size(&format!("{num}{unit}")).map(|b| b as f64)
            };
            match v {
                Some(v) if v.is_finite() && !unit.is_empty() => out.push((Tok::Size(v), col)),
                Some(v) if v.is_finite() => out.push((Tok::Num(v), col)),
                _ => {
                    return Err(err(
                        col,
                        format!("{num}{unit} is not a number (sizes: 500MB, 1.5GB, 20KiB)"),
                    ))
                }
            }
        } else if c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(err(col, "this string has no closing \"".into())),
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some('\\') => match chars.get(i + 1) {
                        Some(&e @ ('"' | '\\')) => {
                            s.push(e);
                            i += 2;
                        }
                        _ => return Err(err(i + 1, "only \\\" and \\\\ may follow a backslash".into())),
                    },
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push((Tok::Str(s), col));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = match two.as_str() {
                "!=" => Some("!="),
                "<>" => Some("!="),
                "<=" => Some("<="),
                ">=" => Some(">="),
                "==" => Some("="),
                _ => None,
            };
            if let Some(op) = op {
                out.push((Tok::Op(op), col));
                i += 2;
                continue;
            }
            let op = match c {
                '=' => "=",
                '<' => "<",
                '>' => ">",
                '(' => "(",
                ')' => ")",
                '[' => "[",
                ']' => "]",
                ',' => ",",
                '\'' => return Err(err(col, "strings are in double quotes: \"Cloud storage\"".into())),
                _ => return Err(err(col, format!("unexpected {c:?}"))),
            };
            out.push((Tok::Op(op), col));
            i += 1;
        }
    }
    out.push((Tok::End, chars.len() + 1));
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<(Tok, usize)>,
    at: usize,
    fields: &'a Fields<'a>,
    depth: usize,
}

/// Deepest nesting of parentheses and `not`, and most conditions, in one expression: a
/// hostile or generated expression gets an error, never a stack overflow.
const MAX_DEPTH: usize = 64;
const MAX_CONDITIONS: usize = 1024;

fn kw(t: &Tok, word: &str) -> bool {
    matches!(t, Tok::Ident(s) if s.eq_ignore_ascii_case(word))
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("{s:?}"),
        Tok::Str(s) => format!("the string {s:?}"),
        Tok::Num(n) => format!("the number {n}"),
        Tok::Size(n) => format!("the size {n} bytes"),
        Tok::Op(o) => format!("{o:?}"),
        Tok::End => "the end of the expression".into(),
    }
}

fn factor_kind(t: FactorType) -> Kind {
    match t {
        FactorType::Bool => Kind::Bool,
        FactorType::Year | FactorType::Number => Kind::Number,
        FactorType::CountryList | FactorType::UrlList | FactorType::Set => Kind::Texts,
        FactorType::Enum | FactorType::Date | FactorType::Country | FactorType::Url | FactorType::String => Kind::Text,
    }
}

/// The closest of `names` to `word` (edit distance ≤ 3), for "did you mean".
fn nearest<'a>(word: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    fn dist(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
            }
            prev = cur;
        }
        prev[b.len()]
    }
    let names: Vec<&str> = names.collect();
    if let Some(n) = names
        .iter()
        .filter(|n| word.len() >= 3 && n.starts_with(word))
        .min_by_key(|n| n.len())
    {
        return Some(n);
    }
    names
        .into_iter()
        .map(|n| (dist(word, n), n))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

impl Parser<'_> {
    fn peek(&self) -> &(Tok, usize) {
        &self.toks[self.at]
    }
    fn next(&mut self) -> (Tok, usize) {
        let t = self.toks[self.at].clone();
        if self.at + 1 < self.toks.len() {
            self.at += 1;
        }
        t
    }
    fn fail<T>(&self, column: usize, message: String) -> Result<T, QueryError> {
        Err(QueryError { column, message })
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut e = self.and()?;
        while kw(&self.peek().0, "or") {
            self.next();
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }
    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut e = self.not()?;
        while kw(&self.peek().0, "and") {
            self.next();
            e = Expr::And(Box::new(e), Box::new(self.not()?));
        }
        Ok(e)
    }
    fn not(&mut self) -> Result<Expr, QueryError> {
        self.depth += 1;
        let e = self.not_inner();
        self.depth -= 1;
        e
    }
    fn not_inner(&mut self) -> Result<Expr, QueryError> {
        if self.depth > MAX_DEPTH {
            let col = self.peek().1;
            return self.fail(col, format!("nested more than {MAX_DEPTH} deep"));
        }
        if kw(&self.peek().0, "not") {
            self.next();
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        if self.peek().0 == Tok::Op("(") {
            let (_, col) = self.next();
            let e = self.or()?;
            let (t, c) = self.next();
            if t != Tok::Op(")") {
                return self.fail(
                    c,
                    format!(
                        "expected \")\" to close the \"(\" at column {col}, found {}",
                        describe(&t)
                    ),
                );
            }
            return Ok(e);
        }
        self.comparison()
    }

    fn field(&mut self) -> Result<(Source, Kind, String), QueryError> {
        let (t, col) = self.next();
        let Tok::Ident(name) = t else {
            return self.fail(col, format!("expected a field name, found {}", describe(&t)));
        };
        let lname = name.to_ascii_lowercase();
        let id = lname.strip_prefix("factor.").unwrap_or(&lname);
        if id == lname {
            if let Some((_, b, k, usage)) = Builtin::ALL.iter().find(|(n, ..)| *n == lname) {
                if *usage {
                    if let Err(why) = self.fields.usage {
                        return self.fail(col, format!("{name} is a usage figure: {why}"));
                    }
                }
                return Ok((Source::Builtin(*b), *k, name));
            }
        }
        if let Some(d) = self.fields.factors.iter().find(|d| d.id == id) {
            return Ok((Source::Factor(d.id.clone()), factor_kind(d.kind), name));
        }
        if ["and", "or", "not", "in", "contains", "is", "null", "true", "false"].contains(&lname.as_str()) {
            return self.fail(col, format!("expected a field name, found the word {name:?}"));
        }
        let names = Builtin::ALL
            .iter()
            .map(|(n, ..)| *n)
            .chain(self.fields.factors.iter().map(|d| d.id.as_str()));
        let hint = nearest(&lname, names).map_or_else(
            || " (fields: app_id, app, category, tags, risk_score, usage figures and risk factor ids; `cloudcensus catalog factors` lists the factors)".to_string(),
            |n| format!("; did you mean {n}?"),
        );
        self.fail(col, format!("unknown field {name:?}{hint}"))
    }

    fn literal(&mut self, kind: Kind, field: &str, src: &Source) -> Result<Lit, QueryError> {
        let (t, col) = self.next();
        let want = match kind {
            Kind::Text | Kind::Texts => "a string in double quotes",
            Kind::Number => "a number",
            Kind::Bool => "true or false",
            Kind::Time => "a date such as \"2026-11-01\" or an RFC 3339 time",
        };
        let lit = match (&t, kind) {
            (Tok::Str(s), Kind::Text | Kind::Texts) => Lit::Text(s.to_lowercase()),
            (Tok::Num(n), Kind::Number) => Lit::Number(*n),
            (Tok::Size(n), Kind::Number) if field.to_ascii_lowercase().starts_with("bytes_") => Lit::Number(*n),
            (Tok::Size(_), Kind::Number) => {
                return self.fail(
                    col,
                    format!("{field} is not a byte count: write the number without a unit"),
                )
            }
            (Tok::Ident(s), Kind::Bool) if s.eq_ignore_ascii_case("true") => Lit::Bool(true),
            (Tok::Ident(s), Kind::Bool) if s.eq_ignore_ascii_case("false") => Lit::Bool(false),
            (Tok::Str(s), Kind::Time) => {
                let utc = crate::base::NaiveZone::utc();
                match crate::base::time::parse_iso(s.as_bytes(), &utc)
                    .or_else(|| crate::base::time::parse_iso(format!("{s}T00:00:00Z").as_bytes(), &utc))
                {
                    Some(us) => Lit::Time(us),
                    None => return self.fail(col, format!("{s:?} is not {want}")),
                }
            }
            _ => return self.fail(col, format!("{field} takes {want}, found {}", describe(&t))),
        };
        // An enum factor's value must be one of its values: a typo would silently match nothing.
        if let (Source::Factor(id), Lit::Text(v)) = (src, &lit) {
            if let Some(d) = self.fields.factors.iter().find(|d| &d.id == id) {
                if matches!(d.kind, FactorType::Enum | FactorType::Set)
                    && !d.values.iter().any(|x| x.to_lowercase() == *v)
                {
                    return self.fail(col, format!("{field} is one of {}; not {v:?}", d.values.join(", ")));
                }
            }
        }
        Ok(lit)
    }

    fn list(&mut self, kind: Kind, field: &str, src: &Source) -> Result<Vec<Lit>, QueryError> {
        let (t, col) = self.next();
        if t != Tok::Op("[") {
            return self.fail(col, format!("in takes a list: [\"a\", \"b\"], found {}", describe(&t)));
        }
        let mut v = Vec::new();
        loop {
            v.push(self.literal(kind, field, src)?);
            let (t, c) = self.next();
            match t {
                Tok::Op(",") => continue,
                Tok::Op("]") => return Ok(v),
                _ => {
                    return self.fail(
                        c,
                        format!("expected \",\" or \"]\" in the list, found {}", describe(&t)),
                    )
                }
            }
        }
    }

    fn comparison(&mut self) -> Result<Expr, QueryError> {
        let (src, kind, name) = self.field()?;
        let (t, col) = self.next();
        let cmp = match &t {
            Tok::Op("=") => Some(Cmp::Eq),
            Tok::Op("!=") => Some(Cmp::Ne),
            Tok::Op("<") => Some(Cmp::Lt),
            Tok::Op(">") => Some(Cmp::Gt),
            Tok::Op("<=") => Some(Cmp::Le),
            Tok::Op(">=") => Some(Cmp::Ge),
            _ => None,
        };
        if let Some(cmp) = cmp {
            if !matches!(cmp, Cmp::Eq | Cmp::Ne) && matches!(kind, Kind::Bool | Kind::Texts) {
                return self.fail(col, format!("{name} takes = and != only"));
            }
            let lit = self.literal(kind, &name, &src)?;
            return Ok(Expr::Cmp(src, kind, cmp, lit));
        }
        if kw(&t, "in") {
            return Ok(Expr::In(src.clone(), kind, self.list(kind, &name, &src)?, false));
        }
        if kw(&t, "not") {
            let (t2, c2) = self.next();
            if kw(&t2, "in") {
                return Ok(Expr::In(src.clone(), kind, self.list(kind, &name, &src)?, true));
            }
            return self.fail(c2, format!("expected \"in\" after \"not\", found {}", describe(&t2)));
        }
        if kw(&t, "contains") {
            if !matches!(kind, Kind::Text | Kind::Texts) {
                return self.fail(col, format!("contains works on text fields; {name} is not one"));
            }
            let (t2, c2) = self.next();
            let Tok::Str(s) = t2 else {
                return self.fail(
                    c2,
                    format!("contains takes a string in double quotes, found {}", describe(&t2)),
                );
            };
            return Ok(Expr::Contains(src, s.to_lowercase()));
        }
        if kw(&t, "is") {
            let mut negated = false;
            let (mut t2, mut c2) = self.next();
            if kw(&t2, "not") {
                negated = true;
                (t2, c2) = self.next();
            }
            if !kw(&t2, "null") {
                return self.fail(c2, format!("expected \"null\", found {}", describe(&t2)));
            }
            return Ok(Expr::IsNull(src, negated));
        }
        self.fail(
            col,
            format!(
                "expected an operator after {name} (= != < > <= >= in, not in, contains, is null), found {}",
                describe(&t)
            ),
        )
    }
}

/// Parse and check `text`.
pub(super) fn parse(text: &str, fields: &Fields) -> Result<Expr, QueryError> {
    let toks = lex(text)?;
    if toks.len() == 1 {
        return Err(QueryError {
            column: 1,
            message: "the expression is empty".into(),
        });
    }
    let conditions = toks.iter().filter(|(t, _)| kw(t, "and") || kw(t, "or")).count();
    if conditions >= MAX_CONDITIONS {
        return Err(QueryError {
            column: 1,
            message: format!("more than {MAX_CONDITIONS} conditions in one expression"),
        });
    }
    let mut p = Parser {
        toks,
        at: 0,
        fields,
        depth: 0,
    };
    let expr = p.or()?;
    let (t, col) = p.next();
    if t != Tok::End {
        return Err(QueryError {
            column: col,
            message: format!("expected \"and\", \"or\" or the end, found {}", describe(&t)),
        });
    }
    Ok(expr)
}
