//! The subset of Python's pickle protocol (0–5) that `torch.save` writes for state dicts.
//!
//! A pickle is a program for a small stack machine. Only the opcodes that appear in
//! checkpoints are implemented; any other opcode, and any global other than the few
//! constructors below, is refused by name instead of being guessed at. Persistent ids (how
//! torch refers to tensor storages) are handed back to the caller unresolved.
//!
//! A hostile pickle cannot make the machine allocate without bound: values nest at most
//! [`MAX_NESTING`] deep (deeper values would overflow the stack when dropped or printed),
//! memo indices live in a map (BINPUT 4 000 000 000 allocates nothing), and the copies the
//! memo makes (PUT and GET clone a value) are counted against [`MAX_COPIED`], which stops
//! "billion laughs" pickles that double a value with every few bytes.

use std::collections::HashMap;

use super::CheckpointError;

/// How deep values may nest (a state dict needs about five levels).
pub const MAX_NESTING: usize = 100;

/// How much the memo may copy in one pickle, in units of one value node or one byte of a
/// string: PUT and GET clone a value, so each costs the size of what it clones.
pub const MAX_COPIED: usize = 1 << 24;

/// A Python value as far as checkpoints need one.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Vec<Value>),
    List(Vec<Value>),
    /// `dict` and `collections.OrderedDict`, in insertion order.
    Dict(Vec<(Value, Value)>),
    /// A global reference (`module.name`), before it is called.
    Global {
        module: String,
        name: String,
    },
    /// The argument of a persistent id (BINPERSID), resolved later by the container format.
    Persistent(Box<Value>),
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)` and friends.
    Tensor(TensorRef),
}

/// A tensor as the pickle describes it: a view (offset, size, stride in elements) into a
/// storage that the container holds elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorRef {
    /// The persistent id of the storage.
    pub storage: Box<Value>,
    pub offset: usize,
    pub size: Vec<usize>,
    pub stride: Vec<usize>,
}

/// A value with what the limits need: how deep it nests and how much a copy costs.
#[derive(Clone)]
struct Node {
    value: Value,
    depth: usize,
    weight: usize,
}

impl Node {
    fn leaf(value: Value) -> Node {
        let weight = 1 + match &value {
            Value::Str(s) => s.len(),
            Value::Bytes(b) => b.len(),
            Value::Global { module, name } => module.len() + name.len(),
            _ => 0,
        };
        Node {
            value,
            depth: 1,
            weight,
        }
    }
}

enum Item {
    Value(Node),
    Mark,
}

/// Runs the pickle program at the start of `data`; returns the value and the bytes it used.
pub fn load(data: &[u8]) -> Result<(Value, usize), CheckpointError> {
    Machine {
        data,
        pos: 0,
        stack: Vec::new(),
        memo: HashMap::new(),
        copied: 0,
    }
    .run()
}

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Item>,
    memo: HashMap<usize, Node>,
    /// The weight of every value the memo has cloned so far (limit [`MAX_COPIED`]).
    copied: usize,
}

/// A container of `children`: one deeper than the deepest, as heavy as all of them.
fn container(
    children: Vec<Node>,
    at: usize,
    make: impl FnOnce(Vec<Value>) -> Value,
) -> Result<Node, CheckpointError> {
    let depth = 1 + children.iter().map(|c| c.depth).max().unwrap_or(0);
    if depth > MAX_NESTING {
        return Err(err(at, format!("values nest deeper than {MAX_NESTING}")));
    }
    let weight = 1 + children.iter().map(|c| c.weight).sum::<usize>();
    let value = make(children.into_iter().map(|c| c.value).collect());
    Ok(Node {
        value,
        depth,
        weight,
    })
}

fn err(offset: usize, message: impl Into<String>) -> CheckpointError {
    CheckpointError::Pickle {
        offset,
        message: message.into(),
    }
}

impl Machine<'_> {
    fn run(mut self) -> Result<(Value, usize), CheckpointError> {
        loop {
            let at = self.pos;
            let op = self.take(1)?[0];
            match op {
                0x80 => {
                    self.take(1)?; // PROTO n
                }
                0x95 => {
                    self.take(8)?; // FRAME: a length hint only
                }
                b'.' => {
                    let node = self.pop(at)?;
                    return Ok((node.value, self.pos));
                }
                b'(' => self.stack.push(Item::Mark),
                b'N' => self.push(Value::None),
                0x88 => self.push(Value::Bool(true)),
                0x89 => self.push(Value::Bool(false)),
                b'J' => {
                    let v = i32::from_le_bytes(self.array()?);
                    self.push(Value::Int(v.into()));
                }
                b'K' => {
                    let v = self.take(1)?[0];
                    self.push(Value::Int(v.into()));
                }
                b'M' => {
                    let v = u16::from_le_bytes(self.array()?);
                    self.push(Value::Int(v.into()));
                }
                0x8a => {
                    let n = usize::from(self.take(1)?[0]);
                    let v = self.long(n, at)?;
                    self.push(Value::Int(v));
                }
                0x8b => {
                    let n = u32::from_le_bytes(self.array()?) as usize;
                    let v = self.long(n, at)?;
                    self.push(Value::Int(v));
                }
                b'G' => {
                    let v = f64::from_be_bytes(self.array()?);
                    self.push(Value::Float(v));
                }
                b'X' | 0x8c | 0x8d | b'T' | b'U' => {
                    let n = match op {
                        0x8c | b'U' => usize::from(self.take(1)?[0]),
                        0x8d => self.length::<8>()?,
                        _ => self.length::<4>()?,
                    };
                    let bytes = self.take(n)?;
                    let s = std::str::from_utf8(bytes)
                        .map_err(|_| err(at, "string is not UTF-8"))?
                        .to_owned();
                    self.push(Value::Str(s));
                }
                b'C' | b'B' | 0x8e => {
                    let n = match op {
                        b'C' => usize::from(self.take(1)?[0]),
                        b'B' => self.length::<4>()?,
                        _ => self.length::<8>()?,
                    };
                    let bytes = self.take(n)?.to_vec();
                    self.push(Value::Bytes(bytes));
                }
                b')' => self.push(Value::Tuple(Vec::new())),
                b']' => self.push(Value::List(Vec::new())),
                b'}' => self.push(Value::Dict(Vec::new())),
                b't' => {
                    let items = self.pop_to_mark(at)?;
                    let node = container(items, at, Value::Tuple)?;
                    self.stack.push(Item::Value(node));
                }
                b'l' => {
                    let items = self.pop_to_mark(at)?;
                    let node = container(items, at, Value::List)?;
                    self.stack.push(Item::Value(node));
                }
                b'd' => {
                    let items = self.pop_to_mark(at)?;
                    if items.len() % 2 != 0 {
                        return Err(err(at, "odd number of dict items"));
                    }
                    let node = container(items, at, |v| Value::Dict(pairs(v)))?;
                    self.stack.push(Item::Value(node));
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    if self.stack.len() < n {
                        return Err(err(at, "stack underflow in TUPLEn"));
                    }
                    let items = self.stack.split_off(self.stack.len() - n);
                    let items = items
                        .into_iter()
                        .map(|i| unmark(i, at))
                        .collect::<Result<_, _>>()?;
                    let node = container(items, at, Value::Tuple)?;
                    self.stack.push(Item::Value(node));
                }
                b'a' => {
                    let item = self.pop(at)?;
                    self.add_to_top(vec![item], at, "APPEND", |top, items| match top {
                        Value::List(list) => {
                            list.extend(items);
                            true
                        }
                        _ => false,
                    })?;
                }
                b'e' => {
                    let items = self.pop_to_mark(at)?;
                    self.add_to_top(items, at, "APPENDS", |top, items| match top {
                        Value::List(list) => {
                            list.extend(items);
                            true
                        }
                        _ => false,
                    })?;
                }
                b's' => {
                    let value = self.pop(at)?;
                    let key = self.pop(at)?;
                    self.add_to_top(vec![key, value], at, "SETITEM", |top, items| match top {
                        Value::Dict(dict) => {
                            dict.extend(pairs(items));
                            true
                        }
                        _ => false,
                    })?;
                }
                b'u' => {
                    let items = self.pop_to_mark(at)?;
                    if items.len() % 2 != 0 {
                        return Err(err(at, "odd number of dict items"));
                    }
                    self.add_to_top(items, at, "SETITEMS", |top, items| match top {
                        Value::Dict(dict) => {
                            dict.extend(pairs(items));
                            true
                        }
                        _ => false,
                    })?;
                }
                b'c' => {
                    let module = self.line(at)?;
                    let name = self.line(at)?;
                    self.push(Value::Global { module, name });
                }
                0x93 => {
                    let name = self.pop(at)?.value;
                    let module = self.pop(at)?.value;
                    match (module, name) {
                        (Value::Str(module), Value::Str(name)) => {
                            self.push(Value::Global { module, name })
                        }
                        _ => return Err(err(at, "STACK_GLOBAL needs two strings")),
                    }
                }
                b'Q' => {
                    let pid = self.pop(at)?;
                    let node = container(vec![pid], at, |mut v| {
                        Value::Persistent(Box::new(v.pop().expect("one child")))
                    })?;
                    self.stack.push(Item::Value(node));
                }
                b'R' | 0x81 => {
                    let args = self.pop(at)?;
                    let callable = self.pop(at)?;
                    let (depth, weight) = (args.depth, args.weight);
                    let args = match args.value {
                        Value::Tuple(args) => args,
                        _ => return Err(err(at, "REDUCE/NEWOBJ arguments are not a tuple")),
                    };
                    // What a call builds holds (some of) its arguments, never more.
                    let value = call(callable.value, args, at)?;
                    self.stack.push(Item::Value(Node {
                        value,
                        depth,
                        weight,
                    }));
                }
                b'b' => {
                    // BUILD sets an object's state. OrderedDict state dicts carry a
                    // `_metadata` attribute (module versions) that weights do not need.
                    let _state = self.pop(at)?;
                    self.top(at)?;
                }
                b'q' => {
                    let i = usize::from(self.take(1)?[0]);
                    self.put(i, at)?;
                }
                b'r' => {
                    let i = self.length::<4>()?;
                    self.put(i, at)?;
                }
                0x94 => {
                    let i = self.memo.len();
                    self.put(i, at)?;
                }
                b'h' => {
                    let i = usize::from(self.take(1)?[0]);
                    self.get(i, at)?;
                }
                b'j' => {
                    let i = self.length::<4>()?;
                    self.get(i, at)?;
                }
                b'0' => {
                    self.pop(at)?;
                }
                _ => return Err(err(at, format!("unsupported pickle opcode 0x{op:02x}"))),
            }
        }
    }

    fn take(&mut self, n: usize) -> Result<&[u8], CheckpointError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| err(self.pos, "pickle ends early"))?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CheckpointError> {
        Ok(self.take(N)?.try_into().expect("take returns N bytes"))
    }

    /// A little-endian length or index of `N` bytes (4 or 8), as a usize; one that does not
    /// fit is reported as beyond the end of the pickle, which it is.
    fn length<const N: usize>(&mut self) -> Result<usize, CheckpointError> {
        let at = self.pos;
        let mut le = [0u8; 8];
        le[..N].copy_from_slice(&self.array::<N>()?);
        usize::try_from(u64::from_le_bytes(le)).map_err(|_| err(at, "pickle ends early"))
    }

    fn long(&mut self, n: usize, at: usize) -> Result<i64, CheckpointError> {
        let bytes = self.take(n)?;
        if n > 8 {
            return Err(err(
                at,
                format!("integer of {n} bytes does not fit in 64 bits"),
            ));
        }
        let negative = bytes.last().is_some_and(|b| b & 0x80 != 0);
        let mut le = [if negative { 0xff } else { 0 }; 8];
        le[..n].copy_from_slice(bytes);
        Ok(i64::from_le_bytes(le))
    }

    fn line(&mut self, at: usize) -> Result<String, CheckpointError> {
        let rest = &self.data[self.pos..];
        let n = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| err(at, "unterminated GLOBAL"))?;
        let s = std::str::from_utf8(&rest[..n]).map_err(|_| err(at, "GLOBAL is not UTF-8"))?;
        self.pos += n + 1;
        Ok(s.to_owned())
    }

    fn push(&mut self, v: Value) {
        self.stack.push(Item::Value(Node::leaf(v)));
    }

    fn pop(&mut self, at: usize) -> Result<Node, CheckpointError> {
        let item = self.stack.pop().ok_or_else(|| err(at, "stack underflow"))?;
        unmark(item, at)
    }

    fn top(&mut self, at: usize) -> Result<&mut Node, CheckpointError> {
        match self.stack.last_mut() {
            Some(Item::Value(v)) => Ok(v),
            _ => Err(err(at, "expected a value on the stack")),
        }
    }

    /// Adds `items` to the container on top of the stack with `add` (false: not the right
    /// kind of container for `op`), keeping its depth and weight up to date.
    fn add_to_top(
        &mut self,
        items: Vec<Node>,
        at: usize,
        op: &str,
        add: impl FnOnce(&mut Value, Vec<Value>) -> bool,
    ) -> Result<(), CheckpointError> {
        let top = self.top(at)?;
        let depth = items
            .iter()
            .map(|n| n.depth + 1)
            .fold(top.depth, usize::max);
        if depth > MAX_NESTING {
            return Err(err(at, format!("values nest deeper than {MAX_NESTING}")));
        }
        let weight = top.weight + items.iter().map(|n| n.weight).sum::<usize>();
        if !add(&mut top.value, items.into_iter().map(|n| n.value).collect()) {
            return Err(err(at, format!("{op} on the wrong kind of value")));
        }
        top.depth = depth;
        top.weight = weight;
        Ok(())
    }

    fn pop_to_mark(&mut self, at: usize) -> Result<Vec<Node>, CheckpointError> {
        let mark = self.stack.iter().rposition(|i| matches!(i, Item::Mark));
        let mark = mark.ok_or_else(|| err(at, "no MARK on the stack"))?;
        let items = self.stack.split_off(mark + 1);
        self.stack.pop();
        items.into_iter().map(|i| unmark(i, at)).collect()
    }

    /// Counts a copy of `weight` against [`MAX_COPIED`].
    fn copy_cost(&mut self, weight: usize, at: usize) -> Result<(), CheckpointError> {
        self.copied = self.copied.saturating_add(weight);
        if self.copied > MAX_COPIED {
            return Err(err(
                at,
                format!("the memo copies more than {MAX_COPIED} values and bytes (refused)"),
            ));
        }
        Ok(())
    }

    fn put(&mut self, i: usize, at: usize) -> Result<(), CheckpointError> {
        let node = match self.stack.last() {
            Some(Item::Value(v)) => v.clone(),
            _ => return Err(err(at, "memo put without a value")),
        };
        self.copy_cost(node.weight, at)?;
        self.memo.insert(i, node);
        Ok(())
    }

    fn get(&mut self, i: usize, at: usize) -> Result<(), CheckpointError> {
        let weight = match self.memo.get(&i) {
            Some(node) => node.weight,
            None => return Err(err(at, format!("memo {i} is empty"))),
        };
        self.copy_cost(weight, at)?;
        let node = self.memo[&i].clone();
        self.stack.push(Item::Value(node));
        Ok(())
    }
}

fn unmark(item: Item, at: usize) -> Result<Node, CheckpointError> {
    match item {
        Item::Value(v) => Ok(v),
        Item::Mark => Err(err(at, "unexpected MARK")),
    }
}

/// Key-value pairs from an even number of items (the callers check that).
fn pairs(items: Vec<Value>) -> Vec<(Value, Value)> {
    let mut it = items.into_iter();
    let mut out = Vec::new();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    out
}

/// Calls one of the globals a state dict is built from.
fn call(callable: Value, args: Vec<Value>, at: usize) -> Result<Value, CheckpointError> {
    let (module, name) = match callable {
        Value::Global { module, name } => (module, name),
        other => return Err(err(at, format!("cannot call {other:?}"))),
    };
    match (module.as_str(), name.as_str()) {
        ("collections", "OrderedDict") | ("builtins", "dict") if args.is_empty() => {
            Ok(Value::Dict(Vec::new()))
        }
        ("torch._utils", "_rebuild_tensor_v2" | "_rebuild_tensor") if args.len() >= 4 => {
            let mut args = args.into_iter();
            let storage = args.next().expect("len >= 4");
            let offset = as_usize(&args.next().expect("len >= 4"), at)?;
            let size = as_usizes(&args.next().expect("len >= 4"), at)?;
            let stride = as_usizes(&args.next().expect("len >= 4"), at)?;
            if size.len() != stride.len() {
                return Err(err(at, "tensor size and stride differ in length"));
            }
            Ok(Value::Tensor(TensorRef {
                storage: Box::new(storage),
                offset,
                size,
                stride,
            }))
        }
        // nn.Parameter(data, requires_grad, hooks): the data is all weights need.
        ("torch._utils", "_rebuild_parameter" | "_rebuild_parameter_with_state")
            if !args.is_empty() =>
        {
            Ok(args.into_iter().next().expect("not empty"))
        }
        _ => Err(CheckpointError::UnsupportedGlobal { module, name }),
    }
}

fn as_usize(v: &Value, at: usize) -> Result<usize, CheckpointError> {
    match v {
        Value::Int(i) if *i >= 0 => Ok(*i as usize),
        other => Err(err(
            at,
            format!("expected a non-negative int, found {other:?}"),
        )),
    }
}

fn as_usizes(v: &Value, at: usize) -> Result<Vec<usize>, CheckpointError> {
    match v {
        Value::Tuple(items) | Value::List(items) => items.iter().map(|i| as_usize(i, at)).collect(),
        other => Err(err(
            at,
            format!("expected a tuple of ints, found {other:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_2_ints_strings_and_containers() {
        // pickle.dumps({'a': (1, -2, 300, 70000, 2**40), 'b': [True, None, 1.5]}, protocol=2)
        let data: &[u8] = b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01(K\x01J\xfe\xff\xff\xffM,\x01J\x70\x11\x01\x00\x8a\x06\x00\x00\x00\x00\x00\x01tq\x02X\x01\x00\x00\x00bq\x03]q\x04(\x88NG?\xf8\x00\x00\x00\x00\x00\x00eu.";
        let (value, used) = load(data).unwrap();
        assert_eq!(used, data.len());
        let expected = Value::Dict(vec![
            (
                Value::Str("a".into()),
                Value::Tuple(vec![
                    Value::Int(1),
                    Value::Int(-2),
                    Value::Int(300),
                    Value::Int(70000),
                    Value::Int(1 << 40),
                ]),
            ),
            (
                Value::Str("b".into()),
                Value::List(vec![Value::Bool(true), Value::None, Value::Float(1.5)]),
            ),
        ]);
        assert_eq!(value, expected);
    }

    #[test]
    fn memo_get_returns_the_stored_value() {
        // pickle.dumps(('x', 'x'), protocol=2) with the second 'x' as a memo reference
        let data: &[u8] = b"\x80\x02X\x01\x00\x00\x00xq\x00h\x00\x86q\x01.";
        let (value, _) = load(data).unwrap();
        assert_eq!(
            value,
            Value::Tuple(vec![Value::Str("x".into()), Value::Str("x".into())])
        );
    }

    #[test]
    fn unknown_globals_are_refused_by_name() {
        let data: &[u8] = b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00lsq\x00\x85R.";
        match load(data) {
            Err(CheckpointError::UnsupportedGlobal { module, name }) => {
                assert_eq!((module.as_str(), name.as_str()), ("os", "system"));
            }
            other => panic!("expected UnsupportedGlobal, got {other:?}"),
        }
    }

    #[test]
    fn truncated_pickles_are_errors_not_panics() {
        let data: &[u8] = b"\x80\x02}q\x00(X\x05\x00\x00\x00ab";
        assert!(matches!(load(data), Err(CheckpointError::Pickle { .. })));
    }

    fn pickle_error(data: &[u8]) -> String {
        match load(data) {
            Err(e @ CheckpointError::Pickle { .. }) => e.to_string(),
            other => panic!("expected a pickle error, got {other:?}"),
        }
    }

    #[test]
    fn values_nested_past_the_limit_are_refused() {
        // 0 wrapped in 200 one-tuples: dropping or printing it recursed 200 deep before; a
        // megabyte of TUPLE1 overflowed the stack.
        let mut data = b"K\x00".to_vec();
        data.extend(std::iter::repeat_n(0x85u8, 200));
        data.push(b'.');
        assert!(pickle_error(&data).contains("nest deeper than 100"));
        // Lists appended into lists count too.
        let mut data = b"]".to_vec();
        for _ in 0..150 {
            data.extend(b"]");
        }
        data.extend(std::iter::repeat_n(b'a', 150));
        data.push(b'.');
        assert!(pickle_error(&data).contains("nest deeper"));
    }

    #[test]
    fn memo_indices_allocate_nothing() {
        // BINPUT 4294967295 resized the memo to four billion entries before.
        let data = b"N\x72\xff\xff\xff\xff\x6a\xff\xff\xff\xff.";
        assert_eq!(load(data).unwrap().0, Value::None);
    }

    #[test]
    fn a_pickle_that_doubles_a_value_through_the_memo_is_refused() {
        // memo[0] = (memo[0], memo[0]), forty times: 2^40 nodes from 250 bytes.
        let mut data = b"]q\x00".to_vec();
        for _ in 0..40 {
            data.extend(b"h\x00h\x00\x86q\x000");
        }
        data.extend(b"h\x00.");
        assert!(pickle_error(&data).contains("memo copies more than"));
    }
}
