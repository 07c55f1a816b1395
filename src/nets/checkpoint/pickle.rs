//! The subset of Python's pickle protocol (0–5) that `torch.save` writes for state dicts.
//!
//! A pickle is a program for a small stack machine. Only the opcodes that appear in
//! checkpoints are implemented; any other opcode, and any global other than the few
//! constructors below, is refused by name instead of being guessed at. Persistent ids (how
//! torch refers to tensor storages) are handed back to the caller unresolved.

use super::CheckpointError;

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

enum Item {
    Value(Value),
    Mark,
}

/// Runs the pickle program at the start of `data`; returns the value and the bytes it used.
pub fn load(data: &[u8]) -> Result<(Value, usize), CheckpointError> {
    Machine {
        data,
        pos: 0,
        stack: Vec::new(),
        memo: Vec::new(),
    }
    .run()
}

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Item>,
    memo: Vec<Option<Value>>,
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
                    let value = self.pop(at)?;
                    return Ok((value, self.pos));
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
                        0x8d => u64::from_le_bytes(self.array()?) as usize,
                        _ => u32::from_le_bytes(self.array()?) as usize,
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
                        b'B' => u32::from_le_bytes(self.array()?) as usize,
                        _ => u64::from_le_bytes(self.array()?) as usize,
                    };
                    let bytes = self.take(n)?.to_vec();
                    self.push(Value::Bytes(bytes));
                }
                b')' => self.push(Value::Tuple(Vec::new())),
                b']' => self.push(Value::List(Vec::new())),
                b'}' => self.push(Value::Dict(Vec::new())),
                b't' => {
                    let items = self.pop_to_mark(at)?;
                    self.push(Value::Tuple(items));
                }
                b'l' => {
                    let items = self.pop_to_mark(at)?;
                    self.push(Value::List(items));
                }
                b'd' => {
                    let items = self.pop_to_mark(at)?;
                    let pairs = pairs(items, at)?;
                    self.push(Value::Dict(pairs));
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
                    self.push(Value::Tuple(items));
                }
                b'a' => {
                    let item = self.pop(at)?;
                    match self.top(at)? {
                        Value::List(list) => list.push(item),
                        _ => return Err(err(at, "APPEND on a non-list")),
                    }
                }
                b'e' => {
                    let items = self.pop_to_mark(at)?;
                    match self.top(at)? {
                        Value::List(list) => list.extend(items),
                        _ => return Err(err(at, "APPENDS on a non-list")),
                    }
                }
                b's' => {
                    let value = self.pop(at)?;
                    let key = self.pop(at)?;
                    match self.top(at)? {
                        Value::Dict(dict) => dict.push((key, value)),
                        _ => return Err(err(at, "SETITEM on a non-dict")),
                    }
                }
                b'u' => {
                    let items = self.pop_to_mark(at)?;
                    let new = pairs(items, at)?;
                    match self.top(at)? {
                        Value::Dict(dict) => dict.extend(new),
                        _ => return Err(err(at, "SETITEMS on a non-dict")),
                    }
                }
                b'c' => {
                    let module = self.line(at)?;
                    let name = self.line(at)?;
                    self.push(Value::Global { module, name });
                }
                0x93 => {
                    let name = self.pop(at)?;
                    let module = self.pop(at)?;
                    match (module, name) {
                        (Value::Str(module), Value::Str(name)) => {
                            self.push(Value::Global { module, name })
                        }
                        _ => return Err(err(at, "STACK_GLOBAL needs two strings")),
                    }
                }
                b'Q' => {
                    let pid = self.pop(at)?;
                    self.push(Value::Persistent(Box::new(pid)));
                }
                b'R' | 0x81 => {
                    let args = self.pop(at)?;
                    let callable = self.pop(at)?;
                    let args = match args {
                        Value::Tuple(args) => args,
                        _ => return Err(err(at, "REDUCE/NEWOBJ arguments are not a tuple")),
                    };
                    let value = call(callable, args, at)?;
                    self.push(value);
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
                    let i = u32::from_le_bytes(self.array()?) as usize;
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
                    let i = u32::from_le_bytes(self.array()?) as usize;
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
        self.stack.push(Item::Value(v));
    }

    fn pop(&mut self, at: usize) -> Result<Value, CheckpointError> {
        let item = self.stack.pop().ok_or_else(|| err(at, "stack underflow"))?;
        unmark(item, at)
    }

    fn top(&mut self, at: usize) -> Result<&mut Value, CheckpointError> {
        match self.stack.last_mut() {
            Some(Item::Value(v)) => Ok(v),
            _ => Err(err(at, "expected a value on the stack")),
        }
    }

    fn pop_to_mark(&mut self, at: usize) -> Result<Vec<Value>, CheckpointError> {
        let mark = self.stack.iter().rposition(|i| matches!(i, Item::Mark));
        let mark = mark.ok_or_else(|| err(at, "no MARK on the stack"))?;
        let items = self.stack.split_off(mark + 1);
        self.stack.pop();
        items.into_iter().map(|i| unmark(i, at)).collect()
    }

    fn put(&mut self, i: usize, at: usize) -> Result<(), CheckpointError> {
        let v = match self.stack.last() {
            Some(Item::Value(v)) => v.clone(),
            _ => return Err(err(at, "memo put without a value")),
        };
        if self.memo.len() <= i {
            self.memo.resize(i + 1, None);
        }
        self.memo[i] = Some(v);
        Ok(())
    }

    fn get(&mut self, i: usize, at: usize) -> Result<(), CheckpointError> {
        let v = self.memo.get(i).cloned().flatten();
        let v = v.ok_or_else(|| err(at, format!("memo {i} is empty")))?;
        self.push(v);
        Ok(())
    }
}

fn unmark(item: Item, at: usize) -> Result<Value, CheckpointError> {
    match item {
        Item::Value(v) => Ok(v),
        Item::Mark => Err(err(at, "unexpected MARK")),
    }
}

fn pairs(items: Vec<Value>, at: usize) -> Result<Vec<(Value, Value)>, CheckpointError> {
    if items.len() % 2 != 0 {
        return Err(err(at, "odd number of dict items"));
    }
    let mut it = items.into_iter();
    let mut out = Vec::new();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    Ok(out)
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
}
