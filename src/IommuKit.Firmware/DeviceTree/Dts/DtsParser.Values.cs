namespace IommuKit.Firmware.DeviceTree.Dts;

internal sealed partial class DtsParser
{
    // propdata: DT_LABEL* item DT_LABEL* (',' DT_LABEL* item DT_LABEL*)*
    // item: DT_STRING | arrayprefix '>' | '[' bytestring ']' | DT_REF | DT_INCBIN '(' ... ')'
    private DtsValue ParsePropertyData()
    {
        var value = new DtsValue();
        while (true)
        {
            TakeValueLabels(value);
            DtsToken token = _next;
            switch (token.Kind)
            {
                case DtsTokenKind.String:
                    Take();
                    value.Append(token.Bytes);
                    value.AppendByte(0);
                    break;
                case DtsTokenKind.Bits:
                    ParseArray(value);
                    break;
                case DtsTokenKind.Reference:
                    // A reference outside <...> is the referenced node's path, inserted later.
                    Take();
                    value.AddMarker(DtsMarkerKind.PathReference, token.Text!, token.Position);
                    break;
                case DtsTokenKind.Incbin:
                    ParseIncbin(value);
                    break;
                case DtsTokenKind.Char when token.IsChar('<'):
                    ParseArray(value);
                    break;
                case DtsTokenKind.Char when token.IsChar('['):
                    ParseByteString(value);
                    break;
                default:
                    Fail($"expected a property value (\"string\", <cells>, [bytes], &reference or /incbin/), found {token.Describe()}", token.Position);
                    break;
            }

            TakeValueLabels(value);
            if (!_next.IsChar(','))
            {
                return value;
            }

            Take();
        }
    }

    private void TakeValueLabels(DtsValue value)
    {
        while (_next.Kind == DtsTokenKind.Label)
        {
            DtsToken label = Take();
            value.AddMarker(DtsMarkerKind.Label, label.Text!, label.Position);
        }
    }

    // arrayprefix: (DT_BITS DT_LITERAL '<' | '<') (integer_prim | DT_REF | DT_LABEL)* ; then '>'
    private void ParseArray(DtsValue value)
    {
        int bits = 32;
        if (_next.Kind == DtsTokenKind.Bits)
        {
            Take();
            DtsToken size = _next;
            if (size.Kind != DtsTokenKind.Literal)
            {
                Fail($"expected the element size (8, 16, 32 or 64) after /bits/, found {size.Describe()}", size.Position);
            }

            Take();
            if (size.Number is not (8 or 16 or 32 or 64))
            {
                Fail("array elements must be 8, 16, 32 or 64 bits", size.Position);
            }

            bits = (int)size.Number;
        }

        Expect('<', "to open a cell array");
        while (true)
        {
            DtsToken token = _next;
            if (token.IsChar('>'))
            {
                Take();
                return;
            }

            switch (token.Kind)
            {
                case DtsTokenKind.Label:
                    Take();
                    value.AddMarker(DtsMarkerKind.Label, token.Text!, token.Position);
                    break;
                case DtsTokenKind.Reference:
                    Take();
                    if (bits != 32)
                    {
                        Fail("references are only allowed in arrays with 32-bit elements", token.Position);
                    }

                    // A placeholder of all ones, as dtc writes, until the phandle is known.
                    value.AddMarker(DtsMarkerKind.PhandleReference, token.Text!, token.Position);
                    value.AppendInteger(uint.MaxValue, 32);
                    break;
                case DtsTokenKind.Literal or DtsTokenKind.CharLiteral:
                case DtsTokenKind.Char when token.IsChar('('):
                    ulong element = ParseIntegerPrimary();
                    if (bits < 64)
                    {
                        // In range: no bits above the element, or all ones there (a negative value).
                        ulong mask = (1UL << bits) - 1;
                        if (element > mask && (element | mask) != ulong.MaxValue)
                        {
                            Fail($"value out of range for {bits}-bit array element", token.Position);
                        }
                    }

                    value.AppendInteger(element, bits);
                    break;
                default:
                    Fail($"expected a number, (expression), &reference or '>' in a cell array, found {token.Describe()}", token.Position);
                    break;
            }
        }
    }

    // '[' (DT_BYTE | DT_LABEL)* ']'
    private void ParseByteString(DtsValue value)
    {
        Take();
        while (true)
        {
            DtsToken token = _next;
            if (token.Kind == DtsTokenKind.Byte)
            {
                Take();
                value.AppendByte((byte)token.Number);
            }
            else if (token.Kind == DtsTokenKind.Label)
            {
                Take();
                value.AddMarker(DtsMarkerKind.Label, token.Text!, token.Position);
            }
            else if (token.IsChar(']'))
            {
                Take();
                return;
            }
            else
            {
                Fail($"expected two hex digits or ']' in a byte string, found {token.Describe()}", token.Position);
            }
        }
    }

    // DT_INCBIN '(' DT_STRING ')' | DT_INCBIN '(' DT_STRING ',' integer_prim ',' integer_prim ')'
    private void ParseIncbin(DtsValue value)
    {
        DtsToken incbin = Take();
        string? directory = _lexer.CurrentDirectory;
        Expect('(', "after /incbin/");
        DtsToken file = _next;
        if (file.Kind != DtsTokenKind.String)
        {
            Fail($"expected a file name string in /incbin/(...), found {file.Describe()}", file.Position);
        }

        Take();
        ulong offset = 0;
        ulong length = ulong.MaxValue;
        if (_next.IsChar(','))
        {
            Take();
            offset = ParseIntegerPrimary();
            Expect(',', "between the offset and length of /incbin/");
            length = ParseIntegerPrimary();
        }

        Expect(')', "to close /incbin/(...)");
        string name = System.Text.Encoding.UTF8.GetString(file.Bytes!);
        (byte[] data, _) = DtsFiles.Open(name, directory, _options, "/incbin/", incbin.Position);
        if (offset > long.MaxValue)
        {
            Fail($"cannot seek to offset {offset} in \"{name}\"", incbin.Position);
        }

        // Past the end gives nothing and a short file gives what it has, as dtc's reads do.
        int start = (int)Math.Min(offset, (ulong)data.Length);
        int count = (int)Math.Min(length, (ulong)(data.Length - start));
        value.Append(data.AsSpan(start, count));
    }
}
