namespace IommuKit.Firmware.DeviceTree.Dts;

/// <summary>
/// dtc's grammar (dtc-parser.y, dtc 1.6.1) as a recursive-descent parser that builds dtc's live
/// tree as it goes: top-level <c>/ { }</c> blocks and <c>&amp;label { }</c> overrides merge into the
/// tree in source order, <c>/delete-node/</c> and <c>/delete-property/</c> leave tombstones, and
/// integer expressions are evaluated on the spot with dtc's unsigned 64-bit semantics.
/// </summary>
/// <remarks>
/// One difference in kind: dtc reports every error it can and then stops; this parser stops at the
/// first one. <c>/plugin/</c> (overlays) is rejected.
/// </remarks>
internal sealed partial class DtsParser
{
    private readonly DtsLexer _lexer;
    private readonly DtsReaderOptions _options;
    private readonly List<DtMemoryReservation> _reservations = [];
    private DtsToken _next;
    private int _nodeDepth;
    private int _expressionDepth;

    private DtsParser(DtsLexer lexer, DtsReaderOptions options)
    {
        _lexer = lexer;
        _options = options;
        _next = lexer.Next();
    }

    /// <summary>Parses a whole source file into dtc's live tree (before checks and reference fixups).</summary>
    public static (DtsLiveNode Root, List<DtMemoryReservation> Reservations) Parse(DtsLexer lexer, DtsReaderOptions options)
    {
        var parser = new DtsParser(lexer, options);
        DtsLiveNode root = parser.ParseSourceFile();
        return (root, parser._reservations);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string reason, in DtsSourcePosition position) => DtsSyntaxException.Throw(reason, position);

    private DtsToken Take()
    {
        DtsToken token = _next;
        _next = _lexer.Next();
        return token;
    }

    private DtsToken Expect(char c, string context)
    {
        if (!_next.IsChar(c))
        {
            Fail($"expected '{c}' {context}, found {_next.Describe()}", _next.Position);
        }

        return Take();
    }

    private string ExpectName(string context)
    {
        if (_next.Kind != DtsTokenKind.PropNodeName)
        {
            Fail($"expected a name {context}, found {_next.Describe()}", _next.Position);
        }

        return Take().Text!;
    }

    private DtsToken ExpectReference(string context)
    {
        if (_next.Kind != DtsTokenKind.Reference)
        {
            Fail($"expected a reference (&label or &{{/path}}) {context}, found {_next.Describe()}", _next.Position);
        }

        return Take();
    }

    // sourcefile: headers memreserves devicetree
    private DtsLiveNode ParseSourceFile()
    {
        if (_next.Kind != DtsTokenKind.V1)
        {
            Fail($"expected /dts-v1/; at the start of the source, found {_next.Describe()}", _next.Position);
        }

        while (_next.Kind == DtsTokenKind.V1)
        {
            ParseHeader();
        }

        ParseMemoryReservations();
        return ParseDeviceTree();
    }

    // header: DT_V1 ';' | DT_V1 ';' DT_PLUGIN ';'
    private void ParseHeader()
    {
        Take();
        Expect(';', "after /dts-v1/");
        if (_next.Kind == DtsTokenKind.Plugin)
        {
            Fail("/plugin/ (a devicetree overlay) is not supported", _next.Position);
        }
    }

    // memreserve: DT_LABEL* DT_MEMRESERVE integer_prim integer_prim ';'
    private void ParseMemoryReservations()
    {
        while (_next.Kind is DtsTokenKind.Label or DtsTokenKind.MemReserve)
        {
            while (_next.Kind == DtsTokenKind.Label)
            {
                // Labels on /memreserve/ entries are accepted and dropped: a blob has no place for them.
                Take();
            }

            if (_next.Kind != DtsTokenKind.MemReserve)
            {
                Fail($"expected /memreserve/ after a label before the root node, found {_next.Describe()}", _next.Position);
            }

            Take();
            ulong address = ParseIntegerPrimary();
            ulong size = ParseIntegerPrimary();
            Expect(';', "after a /memreserve/ entry");
            _reservations.Add(new DtMemoryReservation(address, size));
        }
    }

    // devicetree: '/' nodedef | devicetree ('/' nodedef | DT_LABEL DT_REF nodedef | DT_REF nodedef
    //            | DT_DEL_NODE DT_REF ';' | DT_OMIT_NO_REF DT_REF ';')
    private DtsLiveNode ParseDeviceTree()
    {
        if (_next.Kind == DtsTokenKind.Reference)
        {
            // Only an overlay may start with a reference: there is no tree yet to find it in.
            DtsToken reference = Take();
            Fail($"label or path {reference.Text} not found (the source must start with the root node '/ {{ ... }};')", reference.Position);
        }

        DtsToken slash = Expect('/', "to open the root node");
        DtsLiveNode root = ParseNodeDefinition(string.Empty, slash.Position);
        while (_next.Kind != DtsTokenKind.EndOfInput)
        {
            DtsToken token = _next;
            if (token.IsChar('/'))
            {
                Take();
                DtsLiveNode body = ParseNodeDefinition(string.Empty, token.Position);
                Merge(root, body);
            }
            else if (token.Kind == DtsTokenKind.Label)
            {
                Take();
                DtsToken reference = ExpectReference("after a label at the top level");
                DtsLiveNode body = ParseNodeDefinition(string.Empty, reference.Position);
                DtsLiveNode target = ResolveOrFail(root, reference);
                target.Labels.Add(token.Text!);
                Merge(target, body);
            }
            else if (token.Kind == DtsTokenKind.Reference)
            {
                Take();
                DtsLiveNode body = ParseNodeDefinition(string.Empty, token.Position);
                Merge(ResolveOrFail(root, token), body);
            }
            else if (token.Kind == DtsTokenKind.DeleteNode)
            {
                Take();
                DtsToken reference = ExpectReference("after /delete-node/ at the top level");
                Expect(';', "after /delete-node/ &reference");
                ResolveOrFail(root, reference).Delete();
            }
            else if (token.Kind == DtsTokenKind.OmitIfNoRef)
            {
                Take();
                DtsToken reference = ExpectReference("after /omit-if-no-ref/ at the top level");
                Expect(';', "after /omit-if-no-ref/ &reference");
                ResolveOrFail(root, reference).OmitIfUnused = true;
            }
            else
            {
                Fail($"expected '/ {{', '&label {{', /delete-node/ or end of input at the top level, found {token.Describe()}", token.Position);
            }
        }

        return root;
    }

    // nodedef: '{' proplist subnodes '}' ';'
    private DtsLiveNode ParseNodeDefinition(string name, in DtsSourcePosition position)
    {
        DtsToken open = Expect('{', name.Length == 0 ? "to open the node" : $"to open node '{name}'");
        if (++_nodeDepth > _options.MaxNodeDepth)
        {
            Fail($"nodes nested deeper than {_options.MaxNodeDepth} levels", open.Position);
        }

        var node = new DtsLiveNode(name, position);
        ParseNodeBody(node);
        Expect('}', "to close the node");
        Expect(';', "after '}' closing a node");
        _nodeDepth--;
        return node;
    }

    // proplist: propdef*; subnodes: subnode*; a property after a subnode is an error.
    // propdef: DT_LABEL* (DT_PROPNODENAME '=' propdata ';' | DT_PROPNODENAME ';' | DT_DEL_PROP DT_PROPNODENAME ';')
    // subnode: (DT_LABEL | DT_OMIT_NO_REF)* (DT_PROPNODENAME nodedef | DT_DEL_NODE DT_PROPNODENAME ';')
    private void ParseNodeBody(DtsLiveNode node)
    {
        bool seenSubnode = false;
        var labels = new List<string>();
        while (!_next.IsChar('}'))
        {
            DtsSourcePosition start = _next.Position;
            labels.Clear();
            bool omit = false;
            DtsSourcePosition omitPosition = default;
            while (_next.Kind is DtsTokenKind.Label or DtsTokenKind.OmitIfNoRef)
            {
                DtsToken prefix = Take();
                if (prefix.Kind == DtsTokenKind.Label)
                {
                    labels.Add(prefix.Text!);
                }
                else
                {
                    omit = true;
                    omitPosition = prefix.Position;
                }
            }

            DtsToken token = _next;
            DtsLiveProperty? property = null;
            DtsLiveNode? child = null;
            if (token.Kind == DtsTokenKind.DeleteProperty)
            {
                Take();
                string name = ExpectName("after /delete-property/");
                Expect(';', $"after /delete-property/ {name}");
                property = new DtsLiveProperty(name, DtsValue.Empty, start) { Deleted = true };
            }
            else if (token.Kind == DtsTokenKind.DeleteNode)
            {
                Take();
                string name = ExpectName("after /delete-node/");
                Expect(';', $"after /delete-node/ {name}");
                child = new DtsLiveNode(name, start) { Deleted = true };
            }
            else if (token.Kind == DtsTokenKind.PropNodeName)
            {
                string name = Take().Text!;
                if (_next.IsChar('{'))
                {
                    child = ParseNodeDefinition(name, start);
                }
                else if (_next.IsChar('='))
                {
                    Take();
                    DtsValue value = ParsePropertyData();
                    Expect(';', $"after the value of property '{name}'");
                    property = new DtsLiveProperty(name, value, start);
                }
                else if (_next.IsChar(';'))
                {
                    Take();
                    property = new DtsLiveProperty(name, DtsValue.Empty, start);
                }
                else
                {
                    Fail($"expected '=', ';' or '{{' after '{name}', found {_next.Describe()}", _next.Position);
                }
            }
            else
            {
                Fail($"expected a property, a child node or '}}', found {token.Describe()}", token.Position);
            }

            // Labels apply innermost first, each going to the front: the list ends in source order.
            if (property is not null)
            {
                if (omit)
                {
                    Fail("/omit-if-no-ref/ applies to nodes, not properties", omitPosition);
                }

                if (seenSubnode)
                {
                    Fail($"properties must precede subnodes (property '{property.Name}')", start);
                }

                for (int i = labels.Count - 1; i >= 0; i--)
                {
                    property.Labels.Add(labels[i]);
                }

                node.Properties.Add(property);
            }
            else
            {
                child!.OmitIfUnused |= omit;
                for (int i = labels.Count - 1; i >= 0; i--)
                {
                    child.Labels.Add(labels[i]);
                }

                child.Parent = node;
                node.Children.Add(child);
                seenSubnode = true;
            }
        }
    }
}
