//! Parsing a message body: html5ever's tree builder (the parser ruma uses) into an arena,
//! behind a guard that keeps nesting bounded.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::tree_builder::{
    ElemName, ElementFlags, NodeOrText, QuirksMode, TreeBuilder, TreeBuilderOpts, TreeSink,
    create_element,
};
use html5ever::{Attribute, LocalName, Namespace, QualName, TokenizerResult, local_name, ns};

use super::MAX_DEPTH;

pub(super) type Id = usize;

#[derive(Debug)]
pub(super) enum Data {
    Document,
    Element {
        name: QualName,
        attrs: Vec<Attribute>,
    },
    Text(StrTendril),
    Other,
}

#[derive(Debug)]
pub(super) struct Node {
    pub(super) data: Data,
    parent: Option<Id>,
    pub(super) first_child: Option<Id>,
    pub(super) last_child: Option<Id>,
    pub(super) prev: Option<Id>,
    next: Option<Id>,
}

impl Node {
    fn new(data: Data) -> Self {
        Self {
            data,
            parent: None,
            first_child: None,
            last_child: None,
            prev: None,
            next: None,
        }
    }
}

/// The parsed tree: nodes in a vector, linked to their neighbours so that every step of a
/// walk, an insertion and a removal is constant time.
#[derive(Debug)]
struct Dom {
    nodes: RefCell<Vec<Node>>,
}

pub(super) const DOCUMENT: Id = 0;

impl Dom {
    fn new() -> Self {
        Self {
            nodes: RefCell::new(vec![Node::new(Data::Document)]),
        }
    }

    fn add(&self, data: Data) -> Id {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node::new(data));
        nodes.len() - 1
    }

    fn detach(nodes: &mut [Node], id: Id) {
        let Some(parent) = nodes[id].parent.take() else {
            return;
        };
        let (prev, next) = (nodes[id].prev.take(), nodes[id].next.take());
        match prev {
            Some(prev) => nodes[prev].next = next,
            None => nodes[parent].first_child = next,
        }
        match next {
            Some(next) => nodes[next].prev = prev,
            None => nodes[parent].last_child = prev,
        }
    }

    fn append_child(nodes: &mut [Node], parent: Id, child: Id) {
        Self::detach(nodes, child);
        let last = nodes[parent].last_child;
        nodes[child].parent = Some(parent);
        nodes[child].prev = last;
        match last {
            Some(last) => nodes[last].next = Some(child),
            None => nodes[parent].first_child = Some(child),
        }
        nodes[parent].last_child = Some(child);
    }

    fn insert_before(nodes: &mut [Node], sibling: Id, child: Id) {
        Self::detach(nodes, child);
        let Some(parent) = nodes[sibling].parent else {
            return;
        };
        let prev = nodes[sibling].prev;
        nodes[child].parent = Some(parent);
        nodes[child].prev = prev;
        nodes[child].next = Some(sibling);
        nodes[sibling].prev = Some(child);
        match prev {
            Some(prev) => nodes[prev].next = Some(child),
            None => nodes[parent].first_child = Some(child),
        }
    }

    /// Appends `text` to the text node `id` if it is one; says whether it was.
    fn extend_text(nodes: &mut [Node], id: Option<Id>, text: &StrTendril) -> bool {
        match id.map(|id| &mut nodes[id].data) {
            Some(Data::Text(existing)) => {
                existing.push_tendril(text);
                true
            }
            _ => false,
        }
    }
}

/// An element's name, as the tree builder asks for it.
#[derive(Debug)]
struct Name(QualName);

impl ElemName for Name {
    fn ns(&self) -> &Namespace {
        &self.0.ns
    }

    fn local_name(&self) -> &LocalName {
        &self.0.local
    }
}

impl TreeSink for Dom {
    type Handle = Id;
    type Output = Self;
    type ElemName<'a> = Name;

    fn finish(self) -> Self {
        self
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> Id {
        DOCUMENT
    }

    fn elem_name(&self, target: &Id) -> Name {
        match &self.nodes.borrow()[*target].data {
            Data::Element { name, .. } => Name(name.clone()),
            _ => Name(QualName::new(None, ns!(), LocalName::from(""))),
        }
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, _: ElementFlags) -> Id {
        self.add(Data::Element { name, attrs })
    }

    fn create_comment(&self, _text: StrTendril) -> Id {
        self.add(Data::Other)
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> Id {
        self.add(Data::Other)
    }

    fn append(&self, parent: &Id, child: NodeOrText<Id>) {
        match child {
            NodeOrText::AppendNode(node) => {
                Dom::append_child(&mut self.nodes.borrow_mut(), *parent, node);
            }
            NodeOrText::AppendText(text) => {
                let last = self.nodes.borrow()[*parent].last_child;
                if !Dom::extend_text(&mut self.nodes.borrow_mut(), last, &text) {
                    let node = self.add(Data::Text(text));
                    Dom::append_child(&mut self.nodes.borrow_mut(), *parent, node);
                }
            }
        }
    }

    fn append_based_on_parent_node(&self, element: &Id, prev_element: &Id, child: NodeOrText<Id>) {
        if self.nodes.borrow()[*element].parent.is_some() {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &Id) -> Id {
        *target
    }

    fn same_node(&self, x: &Id, y: &Id) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &Id, new_node: NodeOrText<Id>) {
        match new_node {
            NodeOrText::AppendNode(node) => {
                Dom::insert_before(&mut self.nodes.borrow_mut(), *sibling, node);
            }
            NodeOrText::AppendText(text) => {
                let prev = self.nodes.borrow()[*sibling].prev;
                if !Dom::extend_text(&mut self.nodes.borrow_mut(), prev, &text) {
                    let node = self.add(Data::Text(text));
                    Dom::insert_before(&mut self.nodes.borrow_mut(), *sibling, node);
                }
            }
        }
    }

    fn add_attrs_if_missing(&self, target: &Id, attrs: Vec<Attribute>) {
        if let Data::Element {
            attrs: existing, ..
        } = &mut self.nodes.borrow_mut()[*target].data
        {
            for attr in attrs {
                if !existing.iter().any(|a| a.name == attr.name) {
                    existing.push(attr);
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &Id) {
        Dom::detach(&mut self.nodes.borrow_mut(), *target);
    }

    fn reparent_children(&self, node: &Id, new_parent: &Id) {
        let mut nodes = self.nodes.borrow_mut();
        while let Some(child) = nodes[*node].first_child {
            Dom::append_child(&mut nodes, *new_parent, child);
        }
    }
}

/// Sits between the tokenizer and the tree builder and keeps nesting bounded: past
/// [`MAX_DEPTH`] open elements, start tags are dropped (their text stays), and elements
/// whose content is never shown are skipped whole. Without it, the tree builder's scope
/// checks make deeply nested input quadratic.
struct Guard {
    builder: TreeBuilder<Id, Dom>,
    /// A model of the builder's stack of open elements, by name.
    open: RefCell<Vec<LocalName>>,
    /// While skipping an element past the limit: its name and how many of the same name
    /// opened inside it.
    skipping: RefCell<Option<(LocalName, usize)>>,
    /// Formatting elements closed by the end of an element around them. The tree builder
    /// keeps them in its list of active formatting elements and makes each again before
    /// the next text (<https://html.spec.whatwg.org/#reconstruct-the-active-formatting-elements>);
    /// with attributes that differ (`<div><b id=N>x</div>` again and again) nothing
    /// limits that list, and the work and the tree grow with the square of the input.
    stale_formatting: Cell<usize>,
    /// How many tags the tree builder was given so far (see [`MAX_TAGS`]).
    tags: Cell<usize>,
}

/// The most tags (start and end) a body is read with; past them, tags are dropped and
/// their text stays. Each tag costs the tree builder a walk of its open elements (up to
/// [`MAX_DEPTH`]), so a tag inside others counts once more per [`DEPTH_PER_TAG`] of them:
/// 20,000 `<hr>` inside 99 quotes took 103 ms to convert (release) with no cap, 10 ms
/// with a plain count of 1,024. The markup written is bounded anyway, and a real message
/// has far fewer tags, rarely more than a few deep.
const MAX_TAGS: usize = 1024;

/// How many open elements around a tag make it count as one more (see [`MAX_TAGS`]).
const DEPTH_PER_TAG: usize = 8;

/// How many formatting elements may be left open by the end of another element before
/// further formatting tags are dropped (their text stays). Real messages leave a few; the
/// builder then remakes at most this many elements before each text.
const MAX_STALE_FORMATTING: usize = 8;

/// The elements the tree builder remakes when they were left open
/// (<https://html.spec.whatwg.org/#formatting>).
fn is_formatting(name: &LocalName) -> bool {
    matches!(
        &**name,
        "a" | "b"
            | "big"
            | "code"
            | "em"
            | "font"
            | "i"
            | "nobr"
            | "s"
            | "small"
            | "strike"
            | "strong"
            | "tt"
            | "u"
    )
}

fn is_void(name: &LocalName) -> bool {
    matches!(
        &**name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
            | "param"
            | "keygen"
            | "basefont"
            | "bgsound"
            | "frame"
    )
}

/// Elements shown with none of their content.
pub(super) fn is_hidden(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "head"
            | "title"
            | "iframe"
            | "object"
            | "embed"
            | "svg"
            | "math"
            | "template"
            | "noscript"
            | "noembed"
            | "noframes"
            | "frameset"
            | "frame"
            | "applet"
            | "mx-reply"
    )
}

impl Guard {
    /// What the tokenizer should do after a start tag that is dropped for being too deep.
    fn drop_start_tag(&self, name: &LocalName) -> TokenSinkResult<Id> {
        let raw = match &**name {
            "script" => Some(TokenSinkResult::RawData(RawKind::ScriptData)),
            "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                Some(TokenSinkResult::RawData(RawKind::Rawtext))
            }
            "title" | "textarea" => Some(TokenSinkResult::RawData(RawKind::Rcdata)),
            "plaintext" => Some(TokenSinkResult::Plaintext),
            _ => None,
        };
        if raw.is_some() || is_hidden(name) {
            *self.skipping.borrow_mut() = Some((name.clone(), 0));
        }
        raw.unwrap_or(TokenSinkResult::Continue)
    }
}

impl TokenSink for Guard {
    type Handle = Id;

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<Id> {
        {
            let mut skipping = self.skipping.borrow_mut();
            if let Some((name, nested)) = skipping.as_mut() {
                match &token {
                    Token::TagToken(tag) if tag.name == *name => match tag.kind {
                        TagKind::StartTag => *nested += 1,
                        TagKind::EndTag if *nested == 0 => *skipping = None,
                        TagKind::EndTag => *nested -= 1,
                    },
                    Token::EOFToken => *skipping = None,
                    _ => {}
                }
                if !matches!(token, Token::EOFToken) {
                    return TokenSinkResult::Continue;
                }
            }
        }
        if let Token::TagToken(tag) = &token {
            // Ignored by the tree builder inside a body, which would show their content.
            if tag.kind == TagKind::StartTag && matches!(&*tag.name, "head" | "frameset") {
                *self.skipping.borrow_mut() = Some((tag.name.clone(), 0));
                return TokenSinkResult::Continue;
            }
            // A tag costs the tree builder a walk of the open elements, so deep tags count more.
            let tags = self.tags.get() + 1 + self.open.borrow().len() / DEPTH_PER_TAG;
            self.tags.set(tags);
            if tags > MAX_TAGS {
                return match tag.kind {
                    TagKind::StartTag => self.drop_start_tag(&tag.name),
                    TagKind::EndTag => TokenSinkResult::Continue,
                };
            }
            let mut open = self.open.borrow_mut();
            match tag.kind {
                TagKind::StartTag
                    if is_formatting(&tag.name)
                        && self.stale_formatting.get() >= MAX_STALE_FORMATTING =>
                {
                    return TokenSinkResult::Continue;
                }
                TagKind::StartTag if !is_void(&tag.name) => {
                    // The common implied ends, so unclosed <p> or <li> do not pile up.
                    if matches!(
                        &*tag.name,
                        "p" | "li" | "dt" | "dd" | "tr" | "td" | "th" | "option"
                    ) && open.last() == Some(&tag.name)
                    {
                        open.pop();
                    }
                    if open.len() >= MAX_DEPTH {
                        drop(open);
                        return self.drop_start_tag(&tag.name);
                    }
                    open.push(tag.name.clone());
                }
                TagKind::StartTag => {}
                TagKind::EndTag => {
                    if let Some(at) = open.iter().rposition(|n| *n == tag.name) {
                        let left_open = open[at + 1..].iter().filter(|n| is_formatting(n));
                        self.stale_formatting
                            .set(self.stale_formatting.get() + left_open.count());
                        open.truncate(at);
                    }
                }
            }
        }
        self.builder.process_token(token, line_number)
    }

    fn end(&self) {
        self.builder.end();
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.builder
            .adjusted_current_node_present_but_not_in_html_namespace()
    }
}

/// Parses `html` as the content of a `<div>`, the way a browser parses `innerHTML`.
pub(super) fn parse(html: &str) -> Vec<Node> {
    let dom = Dom::new();
    let context = create_element(
        &dom,
        QualName::new(None, ns!(html), local_name!("div")),
        Vec::new(),
    );
    let builder = TreeBuilder::new_for_fragment(dom, context, None, TreeBuilderOpts::default());
    let initial_state = builder.tokenizer_state_for_context_elem(true);
    let guard = Guard {
        builder,
        open: RefCell::new(Vec::new()),
        skipping: RefCell::new(None),
        stale_formatting: Cell::new(0),
        tags: Cell::new(0),
    };
    let tokenizer = Tokenizer::new(
        guard,
        TokenizerOpts {
            initial_state: Some(initial_state),
            ..TokenizerOpts::default()
        },
    );
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    // A `Script` result only pauses the tokenizer after a </script>; nothing runs.
    while !matches!(tokenizer.feed(&input), TokenizerResult::Done) {}
    tokenizer.end();
    std::mem::take(&mut *tokenizer.sink.builder.sink.nodes.borrow_mut())
}

/// The value of the attribute `name` (without a namespace).
pub(super) fn attr<'n>(attrs: &'n [Attribute], name: &str) -> Option<&'n str> {
    attrs
        .iter()
        .find(|a| a.name.ns == ns!() && &*a.name.local == name)
        .map(|a| &*a.value)
}
