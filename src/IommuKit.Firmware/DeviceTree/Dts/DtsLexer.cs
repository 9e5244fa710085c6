using System.Text;

namespace IommuKit.Firmware.DeviceTree.Dts;

/// <summary>
/// dtc's lexer (dtc-lexer.l, dtc 1.6.1) written by hand over bytes. It keeps flex's start conditions
/// (default, property/node name, byte string), which tokens switch them, and flex's longest-match
/// rule wherever two patterns can start at the same byte. <c>/include/</c> files and the
/// preprocessor's <c># line "file"</c> markers are handled here, so every token carries the
/// original file:line:column.
/// </summary>
/// <remarks>
/// Longest-match cases that decide real input: a label (<c>cpu0:</c>) wins over a name; in a byte
/// string <c>ab:</c> is a label, not a byte; <c>&lt;&lt;</c>, <c>&gt;&gt;</c>, <c>&amp;&amp;</c>
/// ... are always two-character operators; a character literal extends to the last quote it can
/// reach (<c>'\\' '</c> is one literal, as in dtc). Inputs dtc could only reject with a syntax
/// error (an unterminated string, comment or character literal, a <c>//</c> comment without a final
/// newline) are rejected here with a message that says so.
/// </remarks>
internal sealed class DtsLexer
{
    private static readonly byte[] s_include = "/include/"u8.ToArray();

    private static readonly (byte[] Text, DtsTokenKind Kind)[] s_keywords =
    [
        ("/dts-v1/"u8.ToArray(), DtsTokenKind.V1),
        ("/plugin/"u8.ToArray(), DtsTokenKind.Plugin),
        ("/memreserve/"u8.ToArray(), DtsTokenKind.MemReserve),
        ("/bits/"u8.ToArray(), DtsTokenKind.Bits),
        ("/delete-property/"u8.ToArray(), DtsTokenKind.DeleteProperty),
        ("/delete-node/"u8.ToArray(), DtsTokenKind.DeleteNode),
        ("/omit-if-no-ref/"u8.ToArray(), DtsTokenKind.OmitIfNoRef),
        ("/incbin/"u8.ToArray(), DtsTokenKind.Incbin),
    ];

    private readonly DtsReaderOptions _options;
    private Frame _frame;
    private int _depth;
    private LexState _state;

    public DtsLexer(byte[] source, string name, DtsReaderOptions options)
    {
        _options = options;
        _frame = new Frame(source, name, DirectoryOf(name), null);
        _depth = 1;
        _state = LexState.Default;
    }

    private enum LexState : byte
    {
        /// <summary>dtc's V1 (and INITIAL): literals, operators, keywords.</summary>
        Default,

        /// <summary>dtc's PROPNODENAME, entered after '{', ';' and the delete/omit keywords.</summary>
        PropNodeName,

        /// <summary>dtc's BYTESTRING, entered after '['.</summary>
        ByteString,
    }

    /// <summary>The directory of the file being read (null: the current directory), for <c>/incbin/</c>.</summary>
    public string? CurrentDirectory => _frame.Directory;

    /// <summary>The position of the next byte.</summary>
    public DtsSourcePosition Position => new(_frame.Name, _frame.Line, _frame.Column);

    public static string? DirectoryOf(string fileName)
    {
        string? dir = Path.GetDirectoryName(fileName);
        return string.IsNullOrEmpty(dir) ? null : dir;
    }

    /// <summary>Reads the next token; <see cref="DtsTokenKind.EndOfInput"/> at the end of the top file.</summary>
    public DtsToken Next()
    {
        while (true)
        {
            Frame f = _frame;
            byte[] d = f.Data;
            int p = f.Pos;
            if (p >= d.Length)
            {
                if (f.Parent is null)
                {
                    return new DtsToken(DtsTokenKind.EndOfInput, Position);
                }

                _frame = f.Parent;
                _depth--;
                continue;
            }

            byte c = d[p];
            switch (c)
            {
                case (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r':
                    SkipWhitespace();
                    continue;
                case (byte)'#':
                    if ((p == 0 || d[p - 1] == '\n') && TryLineMarker())
                    {
                        continue;
                    }

                    break;
                case (byte)'/':
                    if (p + 1 < d.Length && d[p + 1] == '*')
                    {
                        SkipBlockComment();
                        continue;
                    }

                    if (p + 1 < d.Length && d[p + 1] == '/')
                    {
                        SkipLineComment();
                        continue;
                    }

                    if (TryInclude())
                    {
                        continue;
                    }

                    if (TryKeyword(out DtsToken keyword))
                    {
                        return keyword;
                    }

                    break;
                case (byte)'"':
                    return LexString();
                case (byte)'\'':
                    return LexCharLiteral();
                case (byte)'&':
                    if (TryReference(out DtsToken reference))
                    {
                        return reference;
                    }

                    break;
            }

            if (IsLabelStart(c))
            {
                int end = p + 1;
                while (end < d.Length && IsLabelChar(d[end]))
                {
                    end++;
                }

                if (end < d.Length && d[end] == ':')
                {
                    DtsSourcePosition position = Position;
                    string label = Encoding.ASCII.GetString(d, p, end - p);
                    Advance(end + 1 - p);
                    return new DtsToken(DtsTokenKind.Label, position, text: label);
                }
            }

            switch (_state)
            {
                case LexState.Default:
                    if (IsDigit(c))
                    {
                        return LexLiteral();
                    }

                    break;
                case LexState.PropNodeName:
                    if (IsPropNodeChar(c) || (c == '\\' && p + 1 < d.Length && IsPropNodeChar(d[p + 1])))
                    {
                        return LexName();
                    }

                    break;
                case LexState.ByteString:
                    if (IsHex(c) && p + 1 < d.Length && IsHex(d[p + 1]))
                    {
                        DtsSourcePosition position = Position;
                        ulong value = (ulong)((HexValue(c) << 4) | HexValue(d[p + 1]));
                        Advance(2);
                        return new DtsToken(DtsTokenKind.Byte, position, value);
                    }

                    if (c == ']')
                    {
                        DtsSourcePosition position = Position;
                        Advance(1);
                        _state = LexState.Default;
                        return new DtsToken(DtsTokenKind.Char, position, c);
                    }

                    break;
            }

            if (p + 1 < d.Length)
            {
                DtsTokenKind twoChar = (c, d[p + 1]) switch
                {
                    ((byte)'<', (byte)'<') => DtsTokenKind.LeftShift,
                    ((byte)'>', (byte)'>') => DtsTokenKind.RightShift,
                    ((byte)'<', (byte)'=') => DtsTokenKind.LessOrEqual,
                    ((byte)'>', (byte)'=') => DtsTokenKind.GreaterOrEqual,
                    ((byte)'=', (byte)'=') => DtsTokenKind.Equal,
                    ((byte)'!', (byte)'=') => DtsTokenKind.NotEqual,
                    ((byte)'&', (byte)'&') => DtsTokenKind.LogicalAnd,
                    ((byte)'|', (byte)'|') => DtsTokenKind.LogicalOr,
                    _ => DtsTokenKind.EndOfInput,
                };
                if (twoChar != DtsTokenKind.EndOfInput)
                {
                    DtsSourcePosition position = Position;
                    Advance(2);
                    return new DtsToken(twoChar, position);
                }
            }

            // dtc's catch-all rule: one byte, and the start conditions it switches.
            DtsSourcePosition charPosition = Position;
            Advance(1);
            if (c == '[')
            {
                _state = LexState.ByteString;
            }
            else if (c is (byte)'{' or (byte)';')
            {
                _state = LexState.PropNodeName;
            }

            return new DtsToken(DtsTokenKind.Char, charPosition, c);
        }
    }

    /// <summary>
    /// Decodes a string or character literal body as dtc's <c>data_copy_escape_string</c>.
    /// <paramref name="text"/> holds the body followed by its closing quote, which an escape at the
    /// very end reads (dtc reads <c>'\'</c> as a quote character).
    /// </summary>
    internal static byte[] Unescape(ReadOnlySpan<byte> text, int length, in DtsSourcePosition position)
    {
        if (text[..length].IndexOf((byte)'\\') < 0)
        {
            return text[..length].ToArray();
        }

        var result = new List<byte>(length);
        int i = 0;
        while (i < length)
        {
            byte c = text[i++];
            if (c == '\\')
            {
                c = EscapeChar(text, ref i, position);
            }

            result.Add(c);
        }

        return [.. result];
    }

    private static byte EscapeChar(ReadOnlySpan<byte> text, ref int i, in DtsSourcePosition position)
    {
        byte c = text[i];
        int j = i + 1;
        byte value;
        switch (c)
        {
            case (byte)'a':
                value = 0x07;
                break;
            case (byte)'b':
                value = 0x08;
                break;
            case (byte)'t':
                value = 0x09;
                break;
            case (byte)'n':
                value = 0x0a;
                break;
            case (byte)'v':
                value = 0x0b;
                break;
            case (byte)'f':
                value = 0x0c;
                break;
            case (byte)'r':
                value = 0x0d;
                break;
            case >= (byte)'0' and <= (byte)'7':
                {
                    // Up to three octal digits; the value is kept to a byte as dtc's char is.
                    int v = 0;
                    j = i;
                    while (j < text.Length && j < i + 3 && text[j] >= '0' && text[j] <= '7')
                    {
                        v = (v << 3) | (text[j] - '0');
                        j++;
                    }

                    value = (byte)v;
                    break;
                }

            case (byte)'x':
                {
                    int v = 0;
                    while (j < text.Length && j < i + 3 && IsHex(text[j]))
                    {
                        v = (v << 4) | HexValue(text[j]);
                        j++;
                    }

                    if (j == i + 1)
                    {
                        DtsSyntaxException.Throw("\\x used with no following hex digits", position);
                    }

                    value = (byte)v;
                    break;
                }

            default:
                value = c;
                break;
        }

        i = j;
        return value;
    }

    private static bool IsDigit(byte c) => c is >= (byte)'0' and <= (byte)'9';

    private static bool IsHex(byte c) => IsDigit(c) || (c | 0x20) is >= (byte)'a' and <= (byte)'f';

    private static int HexValue(byte c) => IsDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10;

    private static bool IsLabelStart(byte c) => (c | 0x20) is >= (byte)'a' and <= (byte)'z' || c == '_';

    private static bool IsLabelChar(byte c) => IsLabelStart(c) || IsDigit(c);

    // dtc's PROPNODECHAR: [a-zA-Z0-9,._+*#?@-]
    private static bool IsPropNodeChar(byte c) =>
        IsLabelChar(c) || c is (byte)',' or (byte)'.' or (byte)'+' or (byte)'*' or (byte)'#' or (byte)'?' or (byte)'@' or (byte)'-';

    private static bool IsPathChar(byte c) => IsPropNodeChar(c) || c == '/';

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string reason, in DtsSourcePosition position) => DtsSyntaxException.Throw(reason, position);

    /// <summary>Advances over bytes that hold no newline.</summary>
    private void Advance(int count)
    {
        _frame.Pos += count;
        _frame.Column += count;
    }

    /// <summary>Advances over bytes that may hold newlines, counting lines as dtc's srcpos does.</summary>
    private void AdvanceCounting(int count)
    {
        Frame f = _frame;
        int end = f.Pos + count;
        for (int i = f.Pos; i < end; i++)
        {
            if (f.Data[i] == '\n')
            {
                f.Line++;
                f.Column = 1;
            }
            else
            {
                f.Column++;
            }
        }

        f.Pos = end;
    }

    private void SkipWhitespace()
    {
        Frame f = _frame;
        byte[] d = f.Data;
        int i = f.Pos;
        while (i < d.Length && IsSpace(d[i]))
        {
            i++;
        }

        AdvanceCounting(i - f.Pos);
    }

    private void SkipBlockComment()
    {
        Frame f = _frame;
        int close = f.Data.AsSpan(f.Pos + 2).IndexOf("*/"u8);
        if (close < 0)
        {
            Fail("unterminated /* comment", Position);
        }

        AdvanceCounting(close + 4);
    }

    private void SkipLineComment()
    {
        Frame f = _frame;
        int newline = f.Data.AsSpan(f.Pos + 2).IndexOf((byte)'\n');
        if (newline < 0)
        {
            // dtc's "//".*\n needs the newline; without it the two slashes are a syntax error.
            Fail("// comment at the end of the file is not ended by a newline", Position);
        }

        AdvanceCounting(newline + 3);
    }

    /// <summary>
    /// The length of a string literal starting at <paramref name="start"/> (dtc's
    /// <c>\"([^\\"]|\\.)*\"</c>: any byte but a backslash or quote, or a backslash and any byte but
    /// a newline), or -1 when none ends.
    /// </summary>
    private static int ScanString(byte[] d, int start)
    {
        int i = start + 1;
        while (i < d.Length)
        {
            byte b = d[i];
            if (b == '"')
            {
                return i + 1 - start;
            }

            if (b == '\\')
            {
                if (i + 1 >= d.Length || d[i + 1] == '\n')
                {
                    return -1;
                }

                i += 2;
            }
            else
            {
                i++;
            }
        }

        return -1;
    }

    /// <summary>
    /// The line markers the C preprocessor leaves (<c># 12 "file.dtsi" 1</c>, or <c>#line 12 "file"</c>)
    /// at the start of a line: the next line is line 12 of file.dtsi.
    /// </summary>
    private bool TryLineMarker()
    {
        Frame f = _frame;
        byte[] d = f.Data;
        int i = f.Pos + 1;
        if (d.AsSpan(i).StartsWith("line"u8))
        {
            i += 4;
        }

        int spaces = i;
        while (i < d.Length && d[i] is (byte)' ' or (byte)'\t')
        {
            i++;
        }

        if (i == spaces || i >= d.Length || !IsDigit(d[i]))
        {
            return false;
        }

        long line = 0;
        while (i < d.Length && IsDigit(d[i]))
        {
            line = Math.Min(line * 10 + (d[i] - '0'), int.MaxValue);
            i++;
        }

        spaces = i;
        while (i < d.Length && d[i] is (byte)' ' or (byte)'\t')
        {
            i++;
        }

        if (i == spaces || i >= d.Length || d[i] != '"')
        {
            return false;
        }

        int stringLength = ScanString(d, i);
        if (stringLength < 0)
        {
            return false;
        }

        // The file name runs to the first quote, as dtc 1.6 takes it.
        int nameStart = i + 1;
        int nameLength = d.AsSpan(nameStart).IndexOf((byte)'"');
        string name = Encoding.UTF8.GetString(d, nameStart, nameLength);
        i += stringLength;

        // Flags ("1", "2", "3 4") follow.
        while (true)
        {
            int j = i;
            while (j < d.Length && d[j] is (byte)' ' or (byte)'\t')
            {
                j++;
            }

            if (j == i || j >= d.Length || !IsDigit(d[j]))
            {
                break;
            }

            while (j < d.Length && IsDigit(d[j]))
            {
                j++;
            }

            i = j;
        }

        f.Pos = i;
        f.Name = name;

        // The marker names the line after it; the newline that ends the marker counts it.
        f.Line = (int)line - 1;
        return true;
    }

    private bool TryInclude()
    {
        Frame f = _frame;
        byte[] d = f.Data;
        if (!d.AsSpan(f.Pos).StartsWith(s_include))
        {
            return false;
        }

        int i = f.Pos + s_include.Length;
        while (i < d.Length && IsSpace(d[i]))
        {
            i++;
        }

        if (i >= d.Length || d[i] != '"')
        {
            return false;
        }

        int stringLength = ScanString(d, i);
        if (stringLength < 0)
        {
            return false;
        }

        DtsSourcePosition position = Position;

        // dtc takes the name between the quotes as it is, without escape processing.
        string name = Encoding.UTF8.GetString(d, i + 1, stringLength - 2);
        AdvanceCounting(i + stringLength - f.Pos);
        if (_depth >= _options.MaxIncludeDepth)
        {
            Fail($"includes nested too deeply (more than {_options.MaxIncludeDepth} files open)", position);
        }

        (byte[] data, string fullName) = DtsFiles.Open(name, f.Directory, _options, "include", position);
        _frame = new Frame(data, fullName, DirectoryOf(fullName), f);
        _depth++;
        return true;
    }

    private bool TryKeyword(out DtsToken token)
    {
        ReadOnlySpan<byte> rest = _frame.Data.AsSpan(_frame.Pos);
        foreach ((byte[] text, DtsTokenKind kind) in s_keywords)
        {
            if (!rest.StartsWith(text))
            {
                continue;
            }

            if (kind == DtsTokenKind.Incbin && _state != LexState.Default)
            {
                // dtc's /incbin/ rule has no start condition: it is not active in the exclusive ones.
                break;
            }

            token = new DtsToken(kind, Position);
            Advance(text.Length);
            _state = kind switch
            {
                DtsTokenKind.DeleteProperty or DtsTokenKind.DeleteNode or DtsTokenKind.OmitIfNoRef => LexState.PropNodeName,
                DtsTokenKind.V1 or DtsTokenKind.MemReserve or DtsTokenKind.Bits => LexState.Default,
                _ => _state,
            };
            return true;
        }

        token = default;
        return false;
    }

    private DtsToken LexString()
    {
        Frame f = _frame;
        DtsSourcePosition position = Position;
        int length = ScanString(f.Data, f.Pos);
        if (length < 0)
        {
            Fail("unterminated string (or a backslash before a newline)", position);
        }

        byte[] content = Unescape(f.Data.AsSpan(f.Pos + 1, length - 1), length - 2, position);
        AdvanceCounting(length);
        return new DtsToken(DtsTokenKind.String, position, bytes: content);
    }

    /// <summary>
    /// dtc's <c>'([^']|\\')*'</c> with flex's longest match: the body may take a backslash-quote
    /// pair, so the literal ends at the last quote reachable that way.
    /// </summary>
    private DtsToken LexCharLiteral()
    {
        Frame f = _frame;
        byte[] d = f.Data;
        int start = f.Pos;
        DtsSourcePosition position = Position;

        // reachable(i): the body can end just before byte i. Track it for i and i-1.
        int accept = -1;
        bool reachPrevious = false;
        bool reach = true;
        for (int i = start + 1; i < d.Length && (reach || reachPrevious); i++)
        {
            byte b = d[i];
            bool reachNext = (reach && b != '\'') || (reachPrevious && b == '\'' && d[i - 1] == '\\');
            if (reach && b == '\'')
            {
                accept = i + 1;
            }

            reachPrevious = reach;
            reach = reachNext;
        }

        if (accept < 0)
        {
            Fail("unterminated character literal", position);
        }

        int bodyLength = accept - start - 2;
        byte[] content = Unescape(d.AsSpan(start + 1, bodyLength + 1), bodyLength, position);
        if (content.Length == 0)
        {
            Fail("empty character literal", position);
        }

        if (content.Length > 1)
        {
            Fail($"character literal has {content.Length} characters instead of 1", position);
        }

        AdvanceCounting(accept - start);
        return new DtsToken(DtsTokenKind.CharLiteral, position, content[0]);
    }

    private bool TryReference(out DtsToken token)
    {
        Frame f = _frame;
        byte[] d = f.Data;
        int p = f.Pos;
        token = default;
        if (p + 1 >= d.Length)
        {
            return false;
        }

        if (IsLabelStart(d[p + 1]))
        {
            int end = p + 2;
            while (end < d.Length && IsLabelChar(d[end]))
            {
                end++;
            }

            token = new DtsToken(DtsTokenKind.Reference, Position, text: Encoding.ASCII.GetString(d, p + 1, end - p - 1));
            Advance(end - p);
            return true;
        }

        if (d[p + 1] == '{' && p + 2 < d.Length && d[p + 2] == '/')
        {
            int end = p + 3;
            while (end < d.Length && IsPathChar(d[end]))
            {
                end++;
            }

            if (end < d.Length && d[end] == '}')
            {
                token = new DtsToken(DtsTokenKind.Reference, Position, text: Encoding.ASCII.GetString(d, p + 2, end - p - 2));
                Advance(end + 1 - p);
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// dtc's <c>([0-9]+|0[xX][0-9a-fA-F]+)(U|L|UL|LL|ULL)?</c>, valued as <c>strtoull(text, 0)</c>:
    /// a leading 0 means octal, and any digit octal cannot take is a bad literal.
    /// </summary>
    private DtsToken LexLiteral()
    {
        Frame f = _frame;
        byte[] d = f.Data;
        int start = f.Pos;
        int i = start;
        bool hex = false;
        if (d[i] == '0' && i + 2 < d.Length && (d[i + 1] | 0x20) == 'x' && IsHex(d[i + 2]))
        {
            hex = true;
            i += 2;
            while (i < d.Length && IsHex(d[i]))
            {
                i++;
            }
        }
        else
        {
            while (i < d.Length && IsDigit(d[i]))
            {
                i++;
            }
        }

        int digitsEnd = i;
        ReadOnlySpan<byte> rest = d.AsSpan(i);
        i += rest.StartsWith("ULL"u8) ? 3
            : rest.StartsWith("UL"u8) || rest.StartsWith("LL"u8) ? 2
            : rest.StartsWith("U"u8) || rest.StartsWith("L"u8) ? 1
            : 0;

        DtsSourcePosition position = Position;
        string Text() => Encoding.ASCII.GetString(d, start, i - start);
        int radix = hex ? 16 : d[start] == '0' ? 8 : 10;
        int digit = hex ? start + 2 : start;
        ulong value = 0;
        bool overflow = false;
        for (; digit < digitsEnd; digit++)
        {
            int v = HexValue(d[digit]);
            if (v >= radix)
            {
                Fail($"bad integer literal '{Text()}'", position);
            }

            ulong next = unchecked((value * (ulong)radix) + (ulong)v);
            if (value > (ulong.MaxValue - (ulong)v) / (ulong)radix)
            {
                overflow = true;
            }

            value = next;
        }

        if (overflow)
        {
            Fail($"integer literal '{Text()}' out of range", position);
        }

        Advance(i - start);
        return new DtsToken(DtsTokenKind.Literal, position, value);
    }

    private DtsToken LexName()
    {
        Frame f = _frame;
        byte[] d = f.Data;
        int start = f.Pos;
        int nameStart = d[start] == '\\' ? start + 1 : start;
        int end = nameStart;
        while (end < d.Length && IsPropNodeChar(d[end]))
        {
            end++;
        }

        DtsSourcePosition position = Position;
        string name = Encoding.ASCII.GetString(d, nameStart, end - nameStart);
        Advance(end - start);
        _state = LexState.Default;
        return new DtsToken(DtsTokenKind.PropNodeName, position, text: name);
    }

    /// <summary>One source file being read: the include stack is a chain of frames.</summary>
    private sealed class Frame(byte[] data, string name, string? directory, Frame? parent)
    {
        public byte[] Data { get; } = data;

        public int Pos { get; set; }

        /// <summary>The file name positions report (changed by line markers).</summary>
        public string Name { get; set; } = name;

        public int Line { get; set; } = 1;

        public int Column { get; set; } = 1;

        /// <summary>The directory of the real file, for includes (line markers do not change it).</summary>
        public string? Directory { get; } = directory;

        public Frame? Parent { get; } = parent;
    }
}
