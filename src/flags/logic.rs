//! JSONLogic as flagd runs it, compiled once per flag and evaluated many times.
//!
//! flagd's semantics differ from other JSONLogic engines in ways a flag's outcome depends on,
//! so they are kept here on purpose: an object with more than one key is a literal, an
//! unknown operator is an error only when it is reached, `cat` trims its result, arithmetic
//! on a boolean or null is an error, `==` compares strings as strings and everything else as
//! JavaScript numbers, and flagd's own operators (`fractional`, `sem_ver`, `starts_with`,
//! `ends_with`) answer `null` rather than failing.

use super::{murmur, semver};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// A rule that could not be applied; flagd reports it as `PARSE_ERROR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogicError(pub String);

impl std::fmt::Display for LogicError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LogicError {}

type Out<'a> = Result<Cow<'a, Value>, LogicError>;

fn err<T>(message: impl Into<String>) -> Result<T, LogicError> {
    Err(LogicError(message.into()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Var,
    Missing,
    MissingSome,
    If,
    And,
    Or,
    Not,
    NotNot,
    Eq,
    Ne,
    StrictEq,
    StrictNe,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Min,
    Max,
    Abs,
    Cat,
    Substr,
    In,
    Merge,
    Map,
    Filter,
    Reduce,
    All,
    None,
    Some,
    Fractional,
    SemVer,
    StartsWith,
    EndsWith,
}

fn op_named(name: &str) -> Option<Op> {
    Some(match name {
        "var" => Op::Var,
        "missing" => Op::Missing,
        "missing_some" => Op::MissingSome,
        "if" | "?:" => Op::If,
        "and" => Op::And,
        "or" => Op::Or,
        "!" => Op::Not,
        "!!" => Op::NotNot,
        "==" => Op::Eq,
        "!=" => Op::Ne,
        "===" => Op::StrictEq,
        "!==" => Op::StrictNe,
        "<" => Op::Lt,
        "<=" => Op::Le,
        ">" => Op::Gt,
        ">=" => Op::Ge,
        "+" => Op::Add,
        "-" => Op::Sub,
        "*" => Op::Mul,
        "/" => Op::Div,
        "%" => Op::Mod,
        "min" => Op::Min,
        "max" => Op::Max,
        "abs" => Op::Abs,
        "cat" => Op::Cat,
        "substr" => Op::Substr,
        "in" => Op::In,
        "merge" => Op::Merge,
        "map" => Op::Map,
        "filter" => Op::Filter,
        "reduce" => Op::Reduce,
        "all" => Op::All,
        "none" => Op::None,
        "some" => Op::Some,
        "fractional" => Op::Fractional,
        "sem_ver" => Op::SemVer,
        "starts_with" => Op::StartsWith,
        "ends_with" => Op::EndsWith,
        _ => return None,
    })
}

/// The names of the operators this engine knows (for summaries and validation).
pub const OPERATORS: &[&str] = &[
    "var",
    "missing",
    "missing_some",
    "if",
    "?:",
    "and",
    "or",
    "!",
    "!!",
    "==",
    "!=",
    "===",
    "!==",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "min",
    "max",
    "abs",
    "cat",
    "substr",
    "in",
    "merge",
    "map",
    "filter",
    "reduce",
    "all",
    "none",
    "some",
    "fractional",
    "sem_ver",
    "starts_with",
    "ends_with",
];

/// A compiled rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Lit(Value),
    Array(Vec<Node>),
    Op {
        op: Op,
        args: Box<Node>,
        /// The arguments as written: array operators take a literal array unevaluated.
        raw: Box<Value>,
    },
    /// An operator flagd does not know: an error when (and only when) it is reached.
    Unknown(String),
}

impl Node {
    pub fn compile(rule: &Value) -> Node {
        match rule {
            Value::Array(items) => {
                let nodes: Vec<Node> = items.iter().map(Node::compile).collect();
                // An array of literals evaluates to itself: keep it whole, borrowed per use.
                if nodes.iter().all(|n| matches!(n, Node::Lit(_))) {
                    Node::Lit(rule.clone())
                } else {
                    Node::Array(nodes)
                }
            }
            Value::Object(map) if map.len() == 1 => {
                let (name, args) = map.iter().next().expect("one entry");
                match op_named(name) {
                    Some(op) => Node::Op {
                        op,
                        // An operator's own argument list stays a list of nodes, for the
                        // operators that walk it; only arrays inside it are folded.
                        args: Box::new(match args {
                            Value::Array(items) => {
                                Node::Array(items.iter().map(Node::compile).collect())
                            }
                            other => Node::compile(other),
                        }),
                        raw: Box::new(args.clone()),
                    },
                    None => Node::Unknown(name.clone()),
                }
            }
            other => Node::Lit(other.clone()),
        }
    }

    /// Evaluates against `data` (the evaluation context, with `$flagd` described by `flagd`).
    pub fn eval<'a>(&'a self, data: &'a Value, flagd: &'a Flagd<'a>) -> Result<Value, LogicError> {
        let env = Env {
            data,
            flagd: Some(flagd),
            outer: None,
        };
        let out = eval(self, &env)?;
        Ok(out.into_owned())
    }
}

/// What flagd adds to every context as `$flagd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flagd<'k> {
    pub flag_key: &'k str,
    pub timestamp: i64,
}

struct Env<'a> {
    data: &'a Value,
    /// Only at the root of the context: inside `map` and friends the data is an element.
    flagd: Option<&'a Flagd<'a>>,
    /// Variables are looked up here first (the reference engine substitutes them before
    /// iterating in `filter`, `some` and `none`).
    outer: Option<&'a Env<'a>>,
}

// ---------------------------------------------------------------------------------------
// Value helpers with the reference engine's conversions.

pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn num_value(f: f64) -> Result<Value, LogicError> {
    match serde_json::Number::from_f64(f) {
        Some(n) => Ok(Value::Number(n)),
        None => err(format!("{f} is not a JSON number")),
    }
}

fn int_zero() -> Value {
    Value::Number(0.into())
}

/// Arithmetic's conversion: numbers, and strings parsed (0 when not a number); anything else
/// is an error.
fn to_number(v: &Value) -> Result<f64, LogicError> {
    match v {
        Value::Number(n) => Ok(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => Ok(parse_float(s).unwrap_or(0.0)),
        other => err(format!("{} is not a number", kind(other))),
    }
}

/// Comparison's conversion, as JavaScript's `Number()`: NaN where that gives NaN.
fn js_number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) if s.trim().is_empty() => 0.0,
        Value::String(s) => parse_float(s).unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

fn parse_float(s: &str) -> Option<f64> {
    s.parse::<f64>().ok()
}

/// A number as text, shortest and without an exponent.
pub fn format_number(f: f64) -> String {
    if f == 0.0 {
        return "0".to_string();
    }
    format!("{f}")
}

/// String conversion for `cat` and `substr`: numbers formatted, null empty, anything else an
/// error.
fn to_text(v: &Value) -> Result<Cow<'_, str>, LogicError> {
    match v {
        Value::String(s) => Ok(Cow::Borrowed(s)),
        Value::Number(n) => Ok(Cow::Owned(format_number(n.as_f64().unwrap_or(0.0)))),
        Value::Null => Ok(Cow::Borrowed("")),
        other => err(format!("{} is not a string", kind(other))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn loose_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::String(x), Value::String(y)) => x == y,
        _ => js_number(a) == js_number(b),
    }
}

fn less(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x < y,
        _ => js_number(a) < js_number(b),
    }
}

fn same_kind(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn strict_equals(args: &Value) -> bool {
    let Value::Array(items) = args else {
        return false;
    };
    match items.as_slice() {
        [a, b, ..] => match (a, b) {
            (Value::Null, _) | (_, Value::Null) => a.is_null() && b.is_null(),
            _ => same_kind(a, b) && loose_equals(a, b),
        },
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation.

fn eval<'a>(node: &'a Node, env: &Env<'a>) -> Out<'a> {
    match node {
        Node::Lit(v) => Ok(Cow::Borrowed(v)),
        Node::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(eval(item, env)?.into_owned());
            }
            Ok(Cow::Owned(Value::Array(out)))
        }
        Node::Unknown(name) => err(format!("the operator {name:?} is not supported")),
        Node::Op { op, args, raw } => apply(*op, args, raw, env),
    }
}

/// The arguments as an array of nodes, for operators that evaluate them one by one.
fn items<'a>(args: &'a Node, name: &str) -> Result<&'a [Node], LogicError> {
    match args {
        Node::Array(items) => Ok(items),
        _ => err(format!("{name} takes an array")),
    }
}

/// Every argument evaluated, which must make an array.
fn evaluated_array<'a>(
    args: &'a Node,
    env: &Env<'a>,
    name: &str,
) -> Result<Vec<Cow<'a, Value>>, LogicError> {
    match args {
        Node::Array(items) => items.iter().map(|item| eval(item, env)).collect(),
        other => match eval(other, env)? {
            Cow::Owned(Value::Array(values)) => Ok(values.into_iter().map(Cow::Owned).collect()),
            Cow::Borrowed(Value::Array(values)) => Ok(values.iter().map(Cow::Borrowed).collect()),
            _ => err(format!("{name} takes an array")),
        },
    }
}

fn bool_out<'a>(b: bool) -> Out<'a> {
    Ok(Cow::Owned(Value::Bool(b)))
}

fn null_out<'a>() -> Out<'a> {
    Ok(Cow::Owned(Value::Null))
}

fn apply<'a>(op: Op, args: &'a Node, raw: &'a Value, env: &Env<'a>) -> Out<'a> {
    match op {
        Op::Var => var(args, env),
        Op::Missing => missing(args, env),
        Op::MissingSome => missing_some(args, env),
        Op::If => {
            let clauses = items(args, "if")?;
            let mut i = 0;
            while i + 1 < clauses.len() {
                if truthy(&*eval(&clauses[i], env)?) {
                    return clause(&clauses[i + 1], env);
                }
                i += 2;
            }
            if clauses.len() % 2 == 1 {
                return clause(&clauses[clauses.len() - 1], env);
            }
            null_out()
        }
        Op::And | Op::Or => {
            let want = op == Op::Or;
            let mut last = Cow::Owned(Value::Null);
            for item in items(args, if want { "or" } else { "and" })? {
                last = eval(item, env)?;
                if truthy(&last) == want {
                    return Ok(last);
                }
            }
            Ok(last)
        }
        Op::Not | Op::NotNot => {
            let value = eval(args, env)?;
            let subject = match value.as_ref() {
                Value::Array(a) if !a.is_empty() => &a[0],
                other => other,
            };
            bool_out(truthy(subject) == (op == Op::NotNot))
        }
        Op::Eq | Op::Ne => {
            let values = evaluated_array(args, env, "==")?;
            let equal = match values.as_slice() {
                [a, b, ..] => loose_equals(a, b),
                _ => false,
            };
            bool_out(if op == Op::Eq {
                equal
            } else {
                values.len() < 2 || !equal
            })
        }
        Op::StrictEq | Op::StrictNe => {
            let value = eval(args, env)?;
            bool_out(strict_equals(&value) == (op == Op::StrictEq))
        }
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let values = evaluated_array(args, env, "comparison")?;
            let test = |x: &Value, y: &Value| match op {
                Op::Lt => less(x, y),
                Op::Le => less(x, y) || loose_equals(x, y),
                Op::Gt => less(y, x),
                _ => less(y, x) || loose_equals(y, x),
            };
            bool_out(match values.as_slice() {
                [a, b] => test(a, b),
                [a, b, c] => test(a, b) && test(b, c),
                [a, b, ..] => test(a, b),
                _ => false,
            })
        }
        Op::Add => {
            let value = eval(args, env)?;
            let Value::Array(items) = value.as_ref() else {
                return Ok(Cow::Owned(num_value(to_number(&value)?)?));
            };
            let mut sum = 0.0;
            for item in items {
                sum += to_number(item)?;
            }
            Ok(Cow::Owned(num_value(sum)?))
        }
        Op::Sub | Op::Div => {
            let values = evaluated_array(args, env, "arithmetic")?;
            let Some((first, rest)) = values.split_first() else {
                return Ok(Cow::Owned(int_zero()));
            };
            let mut acc = to_number(first)?;
            if op == Op::Sub && rest.is_empty() {
                return Ok(Cow::Owned(num_value(-acc)?));
            }
            for v in rest {
                let n = to_number(v)?;
                acc = if op == Op::Sub { acc - n } else { acc / n };
            }
            Ok(Cow::Owned(num_value(acc)?))
        }
        Op::Mul => {
            let values = evaluated_array(args, env, "*")?;
            let mut product = 1.0;
            for v in &values {
                product *= to_number(v)?;
            }
            Ok(Cow::Owned(num_value(product)?))
        }
        Op::Mod => {
            let values = evaluated_array(args, env, "%")?;
            match values.as_slice() {
                [a, b, ..] => Ok(Cow::Owned(num_value(to_number(a)? % to_number(b)?)?)),
                _ => err("% takes two numbers"),
            }
        }
        Op::Min | Op::Max => {
            let values = evaluated_array(args, env, "min/max")?;
            let Some((first, rest)) = values.split_first() else {
                return null_out();
            };
            let mut best = to_number(first)?;
            for v in rest {
                let n = to_number(v)?;
                if (op == Op::Max && n > best) || (op == Op::Min && n < best) {
                    best = n;
                }
            }
            Ok(Cow::Owned(num_value(best)?))
        }
        Op::Abs => {
            let value = eval(args, env)?;
            let n = match value.as_ref() {
                Value::Array(a) => match a.first() {
                    Some(first) => to_number(first)?,
                    None => return err("abs takes a number"),
                },
                other => to_number(other)?,
            };
            Ok(Cow::Owned(num_value(n.abs())?))
        }
        Op::Cat => {
            let value = eval(args, env)?;
            match value.as_ref() {
                Value::String(_) => Ok(value),
                Value::Array(items) => match items.as_slice() {
                    [] => Ok(Cow::Owned(Value::String(String::new()))),
                    [one] => Ok(Cow::Owned(Value::String(to_text(one)?.into_owned()))),
                    many => {
                        let mut out = String::new();
                        for item in many {
                            out.push_str(&to_text(item)?);
                        }
                        Ok(Cow::Owned(Value::String(out.trim().to_string())))
                    }
                },
                other => err(format!("cat takes strings, not {}", kind(other))),
            }
        }
        Op::Substr => substr(args, env),
        Op::In => {
            let values = evaluated_array(args, env, "in")?;
            let Some(needle) = values.first() else {
                return err("in takes two arguments");
            };
            let haystack = values.get(1).map(|v| v.as_ref()).unwrap_or(&Value::Null);
            match haystack {
                Value::String(s) => match needle.as_ref() {
                    Value::String(n) => bool_out(s.contains(n.as_str())),
                    other => err(format!("in: {} in a string", kind(other))),
                },
                Value::Array(elements) => {
                    for element in elements {
                        let found = match (element, needle.as_ref()) {
                            (Value::Array(range), value) => {
                                let (Some(lo), Some(hi)) = (range.first(), range.get(1)) else {
                                    return err("in: a range needs two bounds");
                                };
                                let n = to_number(value)?;
                                n >= to_number(lo)? && to_number(hi)? >= n
                            }
                            (element, Value::Number(n)) => {
                                to_number(element)? == n.as_f64().unwrap_or(f64::NAN)
                            }
                            (Value::Object(_), _) | (_, Value::Object(_) | Value::Array(_)) => {
                                return err("in: objects cannot be compared");
                            }
                            (element, needle) => element == needle,
                        };
                        if found {
                            return bool_out(true);
                        }
                    }
                    bool_out(false)
                }
                _ => bool_out(false),
            }
        }
        Op::Merge => {
            let value = eval(args, env)?;
            match value.into_owned() {
                Value::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        match item {
                            Value::Array(inner) => out.extend(inner),
                            other => out.push(other),
                        }
                    }
                    Ok(Cow::Owned(Value::Array(out)))
                }
                v @ (Value::Bool(_) | Value::Number(_) | Value::String(_)) => {
                    Ok(Cow::Owned(Value::Array(vec![v])))
                }
                other => err(format!("merge takes arrays, not {}", kind(&other))),
            }
        }
        Op::Map | Op::Filter | Op::Reduce | Op::All | Op::None | Op::Some => {
            iterate(op, args, raw, env)
        }
        Op::Fractional => {
            let values = custom_args(args, env)?;
            Ok(Cow::Owned(match values {
                Some(values) => fractional(&values, env),
                None => Value::Null,
            }))
        }
        Op::SemVer => {
            let values = custom_args(args, env)?;
            Ok(Cow::Owned(match values.as_deref() {
                Some([left, op, right]) => sem_ver(left, op, right),
                _ => Value::Null,
            }))
        }
        Op::StartsWith | Op::EndsWith => {
            let values = custom_args(args, env)?;
            let pair = values
                .as_deref()
                .map(|v| v.iter().map(|c| c.as_ref()).collect::<Vec<_>>());
            Ok(Cow::Owned(match pair.as_deref() {
                Some([Value::String(s), Value::String(t)]) => {
                    Value::Bool(if op == Op::StartsWith {
                        s.starts_with(t.as_str())
                    } else {
                        s.ends_with(t.as_str())
                    })
                }
                _ => Value::Null,
            }))
        }
    }
}

/// The evaluated arguments of flagd's own operators, `None` when they are not an array
/// (those operators then answer null).
fn custom_args<'a>(
    args: &'a Node,
    env: &Env<'a>,
) -> Result<Option<Vec<Cow<'a, Value>>>, LogicError> {
    match args {
        Node::Array(items) => items
            .iter()
            .map(|item| eval(item, env))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Node::Lit(Value::Array(items)) => Ok(Some(items.iter().map(Cow::Borrowed).collect())),
        other => Ok(match eval(other, env)? {
            Cow::Owned(Value::Array(values)) => Some(values.into_iter().map(Cow::Owned).collect()),
            Cow::Borrowed(Value::Array(values)) => Some(values.iter().map(Cow::Borrowed).collect()),
            _ => None,
        }),
    }
}

/// The value of a taken `if` branch; an object it yields is applied as a rule in turn.
fn clause<'a>(node: &'a Node, env: &Env<'a>) -> Out<'a> {
    let value = eval(node, env)?;
    match value.as_ref() {
        Value::Object(map) if map.len() == 1 => {
            let rule = Node::compile(&value);
            let data = env.data;
            let out = eval(
                &rule,
                &Env {
                    data,
                    flagd: env.flagd,
                    outer: None,
                },
            )?
            .into_owned();
            Ok(Cow::Owned(out))
        }
        _ => Ok(value),
    }
}

fn var<'a>(args: &'a Node, env: &Env<'a>) -> Out<'a> {
    if let Some(outer) = env.outer {
        let path_is_plain =
            !matches!(args, Node::Lit(Value::String(s)) if s.is_empty() || s.starts_with('.'));
        if path_is_plain {
            let found = var(args, outer)?;
            if !found.is_null() {
                return Ok(found);
            }
        }
    }
    let spec = eval(args, env)?;
    let (path, default): (Cow<'_, str>, Option<&Value>) = match spec.as_ref() {
        Value::Null => {
            return Ok(match env.data {
                v @ (Value::Bool(_) | Value::Number(_) | Value::String(_)) => Cow::Borrowed(v),
                _ => Cow::Owned(Value::Null),
            });
        }
        Value::String(s) if s.is_empty() => return Ok(Cow::Borrowed(env.data)),
        Value::String(s) => (Cow::Borrowed(s.as_str()), None),
        Value::Number(n) => (Cow::Owned(format_number(n.as_f64().unwrap_or(0.0))), None),
        Value::Array(a) => match a.as_slice() {
            [] => return Ok(Cow::Borrowed(env.data)),
            [Value::String(s), rest @ ..] => (
                Cow::Borrowed(s.as_str()),
                if rest.len() == 1 { rest.first() } else { None },
            ),
            _ => return err("var takes a path"),
        },
        other => return err(format!("var takes a path, not {}", kind(other))),
    };
    let default = || Ok(Cow::Owned(default.cloned().unwrap_or(Value::Null)));
    let mut parts = path.split('.').filter(|p| !p.is_empty()).peekable();
    if let (Some(flagd), Some(&"$flagd")) = (env.flagd, parts.peek()) {
        parts.next();
        let value = match (parts.next(), parts.next()) {
            (None, _) => Value::Object(Map::from_iter([
                (
                    "flagKey".to_string(),
                    Value::String(flagd.flag_key.to_string()),
                ),
                (
                    "timestamp".to_string(),
                    Value::Number(flagd.timestamp.into()),
                ),
            ])),
            (Some("flagKey"), None) => Value::String(flagd.flag_key.to_string()),
            (Some("timestamp"), None) => Value::Number(flagd.timestamp.into()),
            _ => return default(),
        };
        return Ok(Cow::Owned(value));
    }
    let mut current: &'a Value = env.data;
    if current.is_null() {
        return default();
    }
    for part in parts {
        current = match current {
            Value::Object(map) => match map.get(part) {
                Some(v) => v,
                None => return default(),
            },
            Value::Array(items) => {
                let index = parse_float(part).unwrap_or(0.0) as i64;
                match usize::try_from(index).ok().and_then(|i| items.get(i)) {
                    Some(v) => v,
                    None => return default(),
                }
            }
            _ => return default(),
        };
        if current.is_null() {
            return default();
        }
    }
    Ok(Cow::Borrowed(current))
}

fn lookup<'a>(path: &Value, env: &Env<'a>) -> Result<bool, LogicError> {
    let node = Node::Lit(path.clone());
    let env = Env {
        data: env.data,
        flagd: env.flagd,
        outer: None,
    };
    Ok(!var(&node, &env)?.is_null())
}

fn missing<'a>(args: &'a Node, env: &Env<'a>) -> Out<'a> {
    let value = eval(args, env)?;
    let paths: Vec<Value> = match value.into_owned() {
        s @ Value::String(_) => vec![s],
        Value::Array(items) => items,
        other => return err(format!("missing takes paths, not {}", kind(&other))),
    };
    let mut absent = Vec::new();
    for path in paths {
        if !lookup(&path, env)? {
            absent.push(path);
        }
    }
    Ok(Cow::Owned(Value::Array(absent)))
}

fn missing_some<'a>(args: &'a Node, env: &Env<'a>) -> Out<'a> {
    let values = evaluated_array(args, env, "missing_some")?;
    let (Some(need), Some(Value::Array(paths))) =
        (values.first(), values.get(1).map(|v| v.as_ref()))
    else {
        return err("missing_some takes a count and paths");
    };
    let need = to_number(need)? as i64;
    let mut absent = Vec::new();
    let mut found = 0i64;
    for path in paths {
        if lookup(path, env)? {
            found += 1;
        } else {
            absent.push(path.clone());
        }
    }
    Ok(Cow::Owned(Value::Array(if need > found {
        absent
    } else {
        Vec::new()
    })))
}

fn substr<'a>(args: &'a Node, env: &Env<'a>) -> Out<'a> {
    let values = evaluated_array(args, env, "substr")?;
    let (Some(text), Some(start)) = (values.first(), values.get(1)) else {
        return err("substr takes a string and a start");
    };
    let chars: Vec<char> = to_text(text)?.chars().collect();
    let len = chars.len() as i64;
    let mut from = to_number(start)? as i64;
    if from < 0 {
        from += len;
    }
    if from < 0 || from > len {
        return Ok(Cow::Owned(Value::String(chars.into_iter().collect())));
    }
    let count = match values.get(2) {
        Some(n) => to_number(n)? as i64,
        None => len,
    };
    let to = if count < 0 { len + count } else { from + count }.min(len);
    let slice: String = if to > from {
        chars[from as usize..to as usize].iter().collect()
    } else if to < from && to >= 0 {
        return err("substr: the end is before the start");
    } else {
        String::new()
    };
    Ok(Cow::Owned(Value::String(slice)))
}

/// `map`, `filter`, `reduce`, `all`, `none` and `some`: a literal array is taken as written,
/// a rule is applied; anything else iterates over nothing.
fn iterate<'a>(op: Op, args: &'a Node, raw: &'a Value, env: &Env<'a>) -> Out<'a> {
    let (Value::Array(raw_items), Node::Array(nodes)) = (raw, args) else {
        return err("array operators take an array");
    };
    let subject: Option<Cow<'a, Value>> = match raw_items.first() {
        Some(v @ Value::Array(_)) => Some(Cow::Borrowed(v)),
        Some(Value::Object(_)) => Some(eval(&nodes[0], env)?),
        _ => None,
    };
    match op {
        Op::Map | Op::Filter => {
            if nodes.len() < 2 {
                return Ok(Cow::Owned(Value::Array(Vec::new())));
            }
            let Some(subject) = subject else {
                return Ok(Cow::Owned(Value::Array(Vec::new())));
            };
            let Value::Array(elements) = subject.as_ref() else {
                return err("the subject is not an array");
            };
            let mut out = Vec::new();
            for element in elements {
                if op == Op::Map {
                    let env = Env {
                        data: element,
                        flagd: None,
                        outer: None,
                    };
                    out.push(eval(&nodes[1], &env)?.into_owned());
                } else {
                    let outer = Env {
                        data: env.data,
                        flagd: env.flagd,
                        outer: None,
                    };
                    let env = Env {
                        data: element,
                        flagd: None,
                        outer: Some(&outer),
                    };
                    if truthy(&*eval(&nodes[1], &env)?) {
                        out.push(element.clone());
                    }
                }
            }
            Ok(Cow::Owned(Value::Array(out)))
        }
        Op::Reduce => {
            if nodes.len() < 3 {
                return Ok(Cow::Owned(num_value(0.0)?));
            }
            let initial = eval(&nodes[2], env)?.into_owned();
            enum Acc {
                Bool,
                Number,
                Text,
            }
            let kind_of = match &initial {
                Value::Bool(_) => Acc::Bool,
                Value::Number(_) => Acc::Number,
                Value::String(_) => Acc::Text,
                other => return err(format!("reduce cannot start from {}", kind(other))),
            };
            let Some(subject) = subject else {
                return Ok(Cow::Owned(num_value(0.0)?));
            };
            let Value::Array(elements) = subject.as_ref() else {
                return err("the subject is not an array");
            };
            let mut acc = initial;
            for element in elements.iter().filter(|e| !e.is_null()) {
                let scope = Value::Object(Map::from_iter([
                    ("current".to_string(), element.clone()),
                    ("accumulator".to_string(), acc.clone()),
                ]));
                let env = Env {
                    data: &scope,
                    flagd: None,
                    outer: None,
                };
                let v = eval(&nodes[1], &env)?.into_owned();
                acc = match kind_of {
                    Acc::Bool => Value::Bool(truthy(&v)),
                    Acc::Number => num_value(to_number(&v)?)?,
                    Acc::Text => Value::String(to_text(&v)?.into_owned()),
                };
            }
            Ok(Cow::Owned(acc))
        }
        _ => {
            let vacuous = op == Op::None;
            let Some(subject) = subject.filter(|s| truthy(s)) else {
                return bool_out(vacuous);
            };
            let Value::Array(elements) = subject.as_ref() else {
                return err("the subject is not an array");
            };
            let Some(rule) = nodes.get(1) else {
                return err("array operators take a rule");
            };
            if !matches!(rule, Node::Op { .. } | Node::Unknown(_)) {
                return err("array operators take a rule");
            }
            let outer = Env {
                data: env.data,
                flagd: env.flagd,
                outer: None,
            };
            for element in elements {
                let env = Env {
                    data: element,
                    flagd: None,
                    outer: (op != Op::All).then_some(&outer),
                };
                let hit = truthy(&*eval(rule, &env)?);
                match op {
                    Op::All if !hit => return bool_out(false),
                    Op::None if hit => return bool_out(false),
                    Op::Some if hit => return bool_out(true),
                    _ => {}
                }
            }
            bool_out(op != Op::Some)
        }
    }
}

// ---------------------------------------------------------------------------------------
// flagd's operators.

/// Largest total weight flagd accepts.
const MAX_WEIGHT: i64 = i32::MAX as i64;

/// flagd's `fractional`: the arguments already evaluated. `null` on anything malformed.
fn fractional(items: &[Cow<'_, Value>], env: &Env<'_>) -> Value {
    fractional_pick(items, env).unwrap_or(Value::Null)
}

fn fractional_pick(items: &[Cow<'_, Value>], env: &Env<'_>) -> Option<Value> {
    let Value::Object(data) = env.data else {
        return None;
    };
    let first = items.first()?;
    let (seed, buckets): (Cow<'_, str>, &[Cow<'_, Value>]) = match first.as_ref() {
        Value::String(key) => (Cow::Borrowed(key.as_str()), &items[1..]),
        other => {
            let buckets = if other.is_null() { &items[1..] } else { items };
            let targeting_key = match data.get("targetingKey") {
                None | Some(Value::Null) => return None,
                Some(Value::String(s)) if !s.is_empty() => s,
                Some(_) => return None,
            };
            let flag_key = env.flagd.map(|f| f.flag_key).unwrap_or("");
            (Cow::Owned(format!("{flag_key}{targeting_key}")), buckets)
        }
    };
    let weights = bucket_weights(buckets.iter().map(|b| b.as_ref()))?;
    let total: i64 = weights.iter().map(|(_, w)| w).sum();
    if total == 0 {
        return None;
    }
    let hash = murmur::murmur3_32(seed.as_bytes(), 0);
    let point = (u64::from(hash) * total as u64) >> 32;
    let mut end = 0u64;
    for (variant, weight) in weights {
        end += weight as u64;
        if point < end {
            return Some(variant.clone());
        }
    }
    None
}

/// The `[variant, weight]` buckets, weights defaulting to 1 and negative ones counting as 0;
/// `None` when any is malformed or the total is out of range.
pub fn bucket_weights<'v>(
    buckets: impl IntoIterator<Item = &'v Value>,
) -> Option<Vec<(&'v Value, i64)>> {
    let mut out = Vec::new();
    let mut total = 0i64;
    for bucket in buckets {
        let Value::Array(entry) = bucket else {
            return None;
        };
        let variant = entry.first()?;
        if matches!(variant, Value::Array(_) | Value::Object(_)) {
            return None;
        }
        let weight = match entry.get(1) {
            None | Some(Value::Null) => 1,
            Some(Value::Number(n)) => {
                let f = n.as_f64()?;
                if f.fract() != 0.0 || f > MAX_WEIGHT as f64 {
                    return None;
                }
                (f as i64).max(0)
            }
            Some(_) => return None,
        };
        total += weight;
        out.push((variant, weight));
    }
    (total <= MAX_WEIGHT).then_some(out)
}

/// flagd's `sem_ver`: `[version, operator, version]`, `null` on anything malformed.
fn sem_ver(left: &Value, op: &Value, right: &Value) -> Value {
    let (left, right) = (version_text(left), version_text(right));
    let (Some(l), Some(r), Value::String(op)) = (semver::parse(&left), semver::parse(&right), op)
    else {
        return Value::Null;
    };
    semver::compare(&l, op, &r).map_or(Value::Null, Value::Bool)
}

/// A value as the text flagd parses a version from: numbers as printed by Go's `%v`.
fn version_text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::Number(n) => Cow::Owned(go_general(n.as_f64().unwrap_or(0.0))),
        Value::Bool(b) => Cow::Owned(b.to_string()),
        _ => Cow::Borrowed("<not a version>"),
    }
}

/// Go's `%v` for a float: shortest digits, with an exponent below 1e-4 and from 1e6.
fn go_general(f: f64) -> String {
    if f == 0.0 {
        return "0".to_string();
    }
    let text = format!("{f:e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let e: i32 = exponent.parse().unwrap_or(0);
    if (-4..6).contains(&e) {
        return format!("{f}");
    }
    let sign = if e < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", e.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(rule: Value, data: Value) -> Result<Value, LogicError> {
        let flagd = Flagd {
            flag_key: "my-flag",
            timestamp: 1_700_000_000,
        };
        Node::compile(&rule).eval(&data, &flagd)
    }

    fn ok(rule: Value, data: Value) -> Value {
        run(rule, data).expect("evaluates")
    }

    #[test]
    fn var_paths_defaults_and_indexes() {
        let data = json!({"a": {"b": [10, {"c": "x"}]}, "n": null, "z": 0});
        assert_eq!(ok(json!({"var": "a.b.0"}), data.clone()), json!(10));
        assert_eq!(ok(json!({"var": "a.b.1.c"}), data.clone()), json!("x"));
        assert_eq!(
            ok(json!({"var": ["a.q", "dflt"]}), data.clone()),
            json!("dflt")
        );
        assert_eq!(ok(json!({"var": ["n", 5]}), data.clone()), json!(5));
        assert_eq!(ok(json!({"var": "z"}), data.clone()), json!(0));
        assert_eq!(ok(json!({"var": "a.b.9"}), data.clone()), Value::Null);
        assert_eq!(ok(json!({"var": ""}), data.clone()), data);
        assert_eq!(
            ok(json!({"var": ["email"]}), json!({"email": "e"})),
            json!("e")
        );
        assert!(run(json!({"var": [1]}), json!({})).is_err());
    }

    #[test]
    fn flagd_properties_in_context() {
        assert_eq!(
            ok(json!({"var": "$flagd.flagKey"}), json!({})),
            json!("my-flag")
        );
        assert_eq!(
            ok(json!({"var": "$flagd.timestamp"}), json!({})),
            json!(1_700_000_000)
        );
        // flagd's own properties win over a caller's.
        assert_eq!(
            ok(
                json!({"var": "$flagd.flagKey"}),
                json!({"$flagd": {"flagKey": "x"}})
            ),
            json!("my-flag")
        );
        assert_eq!(
            ok(
                json!({">": [{"var": "$flagd.timestamp"}, 1_600_000_000]}),
                json!({})
            ),
            json!(true)
        );
    }

    #[test]
    fn if_and_or_not() {
        assert_eq!(ok(json!({"if": [true, "a", "b"]}), json!({})), json!("a"));
        assert_eq!(ok(json!({"if": [0, "a", "b"]}), json!({})), json!("b"));
        assert_eq!(
            ok(json!({"if": [false, "a", true, "c", "d"]}), json!({})),
            json!("c")
        );
        assert_eq!(ok(json!({"if": [false, "a"]}), json!({})), Value::Null);
        assert_eq!(ok(json!({"if": []}), json!({})), Value::Null);
        assert_eq!(ok(json!({"?:": [1, "y", "n"]}), json!({})), json!("y"));
        assert_eq!(ok(json!({"and": [1, "", 2]}), json!({})), json!(""));
        assert_eq!(ok(json!({"and": [1, 2]}), json!({})), json!(2));
        assert_eq!(ok(json!({"or": [0, [], "x"]}), json!({})), json!("x"));
        assert_eq!(ok(json!({"or": [0, false]}), json!({})), json!(false));
        assert_eq!(ok(json!({"!": [[]]}), json!({})), json!(true));
        assert_eq!(ok(json!({"!": true}), json!({})), json!(false));
        assert_eq!(ok(json!({"!!": ["0"]}), json!({})), json!(true));
        assert_eq!(ok(json!({"!!": [{}]}), json!({})), json!(false));
        // A branch never taken may hold anything.
        assert_eq!(
            ok(json!({"if": [true, "a", {"nope": 1}]}), json!({})),
            json!("a")
        );
        assert!(run(json!({"if": {"var": "x"}}), json!({})).is_err());
        assert!(run(json!({"and": "x"}), json!({})).is_err());
    }

    #[test]
    fn equality_and_order_convert_like_javascript() {
        assert_eq!(ok(json!({"==": [1, "1"]}), json!({})), json!(true));
        assert_eq!(ok(json!({"==": [true, 1]}), json!({})), json!(true));
        assert_eq!(ok(json!({"==": [null, 0]}), json!({})), json!(false));
        assert_eq!(ok(json!({"==": [null, null]}), json!({})), json!(true));
        assert_eq!(ok(json!({"==": ["a", "a"]}), json!({})), json!(true));
        assert_eq!(ok(json!({"!=": ["a", "b"]}), json!({})), json!(true));
        assert_eq!(ok(json!({"==": [1]}), json!({})), json!(false));
        assert_eq!(ok(json!({"===": [1, "1"]}), json!({})), json!(false));
        assert_eq!(ok(json!({"===": [1, 1.0]}), json!({})), json!(true));
        assert_eq!(ok(json!({"!==": [1, "1"]}), json!({})), json!(true));
        assert_eq!(ok(json!({"<": [1, 2]}), json!({})), json!(true));
        assert_eq!(ok(json!({"<": ["10", "9"]}), json!({})), json!(true));
        assert_eq!(ok(json!({"<": ["10", 9]}), json!({})), json!(false));
        assert_eq!(ok(json!({"<": [1, 2, 3]}), json!({})), json!(true));
        assert_eq!(ok(json!({"<": [1, 3, 3]}), json!({})), json!(false));
        assert_eq!(ok(json!({"<=": [1, 3, 3]}), json!({})), json!(true));
        assert_eq!(ok(json!({">": [3, 2]}), json!({})), json!(true));
        assert_eq!(ok(json!({">=": [2, 2]}), json!({})), json!(true));
        assert_eq!(ok(json!({">": ["a", 1]}), json!({})), json!(false));
        assert!(run(json!({"<": 1}), json!({})).is_err());
    }

    #[test]
    fn arithmetic() {
        assert_eq!(ok(json!({"+": [1, "2", 3.5]}), json!({})), json!(6.5));
        assert_eq!(ok(json!({"+": "4"}), json!({})), json!(4.0));
        assert_eq!(ok(json!({"-": [10, 4]}), json!({})), json!(6.0));
        assert_eq!(ok(json!({"-": [3]}), json!({})), json!(-3.0));
        assert_eq!(ok(json!({"-": []}), json!({})), json!(0));
        assert_eq!(ok(json!({"*": [2, 3]}), json!({})), json!(6.0));
        assert_eq!(ok(json!({"/": [9, 2]}), json!({})), json!(4.5));
        assert_eq!(ok(json!({"%": [7, 3]}), json!({})), json!(1.0));
        assert_eq!(ok(json!({"min": [3, 1, 2]}), json!({})), json!(1.0));
        assert_eq!(ok(json!({"max": [3, 1, 2]}), json!({})), json!(3.0));
        assert_eq!(ok(json!({"max": []}), json!({})), Value::Null);
        assert_eq!(ok(json!({"abs": -2}), json!({})), json!(2.0));
        assert_eq!(ok(json!({"+": ["x"]}), json!({})), json!(0.0));
        assert!(run(json!({"+": [true, 1]}), json!({})).is_err());
        assert!(run(json!({"*": [null, 1]}), json!({})).is_err());
        assert!(run(json!({"/": [1, 0]}), json!({})).is_err());
        assert!(run(json!({"%": [1]}), json!({})).is_err());
    }

    #[test]
    fn strings() {
        assert_eq!(
            ok(json!({"cat": ["a", 1, 2.5, null]}), json!({})),
            json!("a12.5")
        );
        assert_eq!(ok(json!({"cat": [" a ", "b "]}), json!({})), json!("a b"));
        assert_eq!(ok(json!({"cat": [" a "]}), json!({})), json!(" a "));
        assert_eq!(ok(json!({"cat": "x"}), json!({})), json!("x"));
        assert!(run(json!({"cat": ["a", true]}), json!({})).is_err());
        assert_eq!(
            ok(json!({"substr": ["jsonlogic", 4]}), json!({})),
            json!("logic")
        );
        assert_eq!(
            ok(json!({"substr": ["jsonlogic", -5]}), json!({})),
            json!("logic")
        );
        assert_eq!(
            ok(json!({"substr": ["jsonlogic", 1, 3]}), json!({})),
            json!("son")
        );
        assert_eq!(
            ok(json!({"substr": ["jsonlogic", 4, -2]}), json!({})),
            json!("log")
        );
        assert_eq!(
            ok(json!({"in": ["Spring", "Springfield"]}), json!({})),
            json!(true)
        );
        assert_eq!(ok(json!({"in": ["b", ["a", "b"]]}), json!({})), json!(true));
        assert_eq!(ok(json!({"in": [2, [1, 2]]}), json!({})), json!(true));
        assert_eq!(ok(json!({"in": [5, [[1, 10]]]}), json!({})), json!(true));
        assert_eq!(
            ok(json!({"in": ["c", ["a", "b"]]}), json!({})),
            json!(false)
        );
        assert_eq!(ok(json!({"in": ["c", 5]}), json!({})), json!(false));
        assert!(run(json!({"in": [1, "abc"]}), json!({})).is_err());
        assert_eq!(
            ok(
                json!({"starts_with": [{"var": "id"}, "abc"]}),
                json!({"id": "abcdef"})
            ),
            json!(true)
        );
        assert_eq!(
            ok(json!({"ends_with": ["abcdef", "def"]}), json!({})),
            json!(true)
        );
        assert_eq!(
            ok(json!({"ends_with": ["abcdef", "abc"]}), json!({})),
            json!(false)
        );
        assert_eq!(ok(json!({"starts_with": [1, "1"]}), json!({})), Value::Null);
        assert_eq!(ok(json!({"ends_with": ["x"]}), json!({})), Value::Null);
        assert_eq!(ok(json!({"ends_with": "x"}), json!({})), Value::Null);
    }

    #[test]
    fn missing_and_arrays() {
        let data = json!({"a": 1, "b": null, "list": [1, 2, 3, 4]});
        assert_eq!(
            ok(json!({"missing": ["a", "b", "c"]}), data.clone()),
            json!(["b", "c"])
        );
        assert_eq!(ok(json!({"missing": "a"}), data.clone()), json!([]));
        assert_eq!(
            ok(json!({"missing_some": [1, ["a", "c"]]}), data.clone()),
            json!([])
        );
        assert_eq!(
            ok(json!({"missing_some": [2, ["a", "c"]]}), data.clone()),
            json!(["c"])
        );
        assert_eq!(
            ok(json!({"merge": [[1], 2, [3, 4]]}), json!({})),
            json!([1, 2, 3, 4])
        );
        assert_eq!(
            ok(
                json!({"map": [{"var": "list"}, {"*": [{"var": ""}, 2]}]}),
                data.clone()
            ),
            json!([2.0, 4.0, 6.0, 8.0])
        );
        assert_eq!(
            ok(
                json!({"filter": [{"var": "list"}, {">": [{"var": ""}, 2]}]}),
                data.clone()
            ),
            json!([3, 4])
        );
        assert_eq!(
            ok(
                json!({"reduce": [{"var": "list"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]}),
                data.clone()
            ),
            json!(10.0)
        );
        assert_eq!(
            ok(json!({"all": [[1, 2], {">": [{"var": ""}, 0]}]}), json!({})),
            json!(true)
        );
        assert_eq!(
            ok(json!({"all": [[], {">": [{"var": ""}, 0]}]}), json!({})),
            json!(false)
        );
        assert_eq!(
            ok(
                json!({"some": [[1, 2], {">": [{"var": ""}, 1]}]}),
                json!({})
            ),
            json!(true)
        );
        assert_eq!(
            ok(
                json!({"none": [[1, 2], {">": [{"var": ""}, 5]}]}),
                json!({})
            ),
            json!(true)
        );
        assert_eq!(
            ok(json!({"none": [[], {">": [{"var": ""}, 5]}]}), json!({})),
            json!(true)
        );
        assert!(run(
            json!({"reduce": [[1], {"var": "current"}, null]}),
            json!({})
        )
        .is_err());
    }

    #[test]
    fn literals_and_unknown_operators() {
        // More than one key: a literal; none: an empty object.
        assert_eq!(
            ok(json!({"a": 1, "b": 2}), json!({})),
            json!({"a": 1, "b": 2})
        );
        assert_eq!(ok(json!({}), json!({})), json!({}));
        assert_eq!(ok(json!([1, {"var": "x"}]), json!({"x": 2})), json!([1, 2]));
        let e = run(json!({"$ref": "nowhere"}), json!({})).unwrap_err();
        assert!(e.0.contains("$ref"), "{e}");
        assert!(run(json!({"if": [{"bogus": []}, 1, 2]}), json!({})).is_err());
    }

    #[test]
    fn fractional_buckets_by_flag_and_targeting_key() {
        let rule = json!({"fractional": [["a", 50], ["b", 50]]});
        let a = ok(rule.clone(), json!({"targetingKey": "user-1"}));
        assert!(a == json!("a") || a == json!("b"));
        // The implicit seed is the flag key followed by the targeting key.
        let explicit = json!({"fractional": [{"cat": [{"var": "$flagd.flagKey"}, {"var": "targetingKey"}]}, ["a", 50], ["b", 50]]});
        for key in ["u1", "u2", "u3", "u4", "u5", "u6"] {
            let ctx = json!({ "targetingKey": key });
            assert_eq!(ok(rule.clone(), ctx.clone()), ok(explicit.clone(), ctx));
        }
        // No targeting key: no bucket.
        assert_eq!(ok(rule.clone(), json!({})), Value::Null);
        assert_eq!(ok(rule.clone(), json!({"targetingKey": ""})), Value::Null);
        assert_eq!(ok(rule, json!({"targetingKey": 5})), Value::Null);
    }

    #[test]
    fn fractional_weights() {
        let ctx = json!({"targetingKey": "anyone"});
        assert_eq!(
            ok(
                json!({"fractional": ["k", ["x", 0], ["y", 0]]}),
                ctx.clone()
            ),
            Value::Null
        );
        assert_eq!(
            ok(
                json!({"fractional": ["k", ["x", -5], ["y", 1]]}),
                ctx.clone()
            ),
            json!("y")
        );
        assert_eq!(
            ok(json!({"fractional": ["k", ["only"]]}), ctx.clone()),
            json!("only")
        );
        assert_eq!(
            ok(json!({"fractional": ["k", ["x", 1.5]]}), ctx.clone()),
            Value::Null
        );
        assert_eq!(
            ok(json!({"fractional": ["k", ["x", "1"]]}), ctx.clone()),
            Value::Null
        );
        assert_eq!(
            ok(json!({"fractional": ["k", "x"]}), ctx.clone()),
            Value::Null
        );
        assert_eq!(
            ok(json!({"fractional": ["k", []]}), ctx.clone()),
            Value::Null
        );
        assert_eq!(ok(json!({"fractional": ["k"]}), ctx.clone()), Value::Null);
        assert_eq!(
            ok(
                json!({"fractional": ["k", ["x", 2147483647], ["y", 1]]}),
                ctx.clone()
            ),
            Value::Null
        );
        assert_eq!(
            ok(json!({"fractional": ["k", [true, 1]]}), ctx.clone()),
            json!(true)
        );
        assert_eq!(ok(json!({"fractional": "k"}), ctx), Value::Null);
    }

    #[test]
    fn fractional_maps_the_hash_onto_the_weights() {
        // hash * total >> 32 picks the bucket: check the split of many keys is near 25/75.
        let rule = Node::compile(&json!({"fractional": [{"var": "k"}, ["a", 1], ["b", 3]]}));
        let flagd = Flagd {
            flag_key: "f",
            timestamp: 0,
        };
        let a = (0..4000)
            .filter(|i| {
                rule.eval(&json!({ "k": format!("key-{i}") }), &flagd)
                    .unwrap()
                    == json!("a")
            })
            .count();
        assert!((900..1100).contains(&a), "{a} of 4000 in the 25% bucket");
    }

    #[test]
    fn sem_ver_operator() {
        let v = |version: Value, op: &str, target: &str| {
            ok(json!({"sem_ver": [version, op, target]}), json!({}))
        };
        assert_eq!(v(json!("1.2.3"), ">", "1.2.0"), json!(true));
        assert_eq!(v(json!("v1.2.3"), "=", "1.2.3"), json!(true));
        assert_eq!(v(json!(1.2), ">", "1.1"), json!(true));
        assert_eq!(v(json!(2), "^", "2.5.0"), json!(true));
        assert_eq!(v(json!(1.0), "=", "1.0.0"), json!(true));
        assert_eq!(v(json!("nope"), "=", "1.0.0"), Value::Null);
        assert_eq!(v(json!("1.0.0"), "===", "1.0.0"), Value::Null);
        assert_eq!(v(json!(true), "=", "1.0.0"), Value::Null);
        assert_eq!(
            ok(json!({"sem_ver": ["1.0.0", "="]}), json!({})),
            Value::Null
        );
        assert_eq!(ok(json!({"sem_ver": "1.0.0"}), json!({})), Value::Null);
        assert_eq!(go_general(1e21), "1e+21");
        assert_eq!(go_general(1.5e-5), "1.5e-05");
        assert_eq!(go_general(123.25), "123.25");
        assert_eq!(go_general(1e6), "1e+06");
        assert_eq!(go_general(999999.0), "999999");
    }
}
