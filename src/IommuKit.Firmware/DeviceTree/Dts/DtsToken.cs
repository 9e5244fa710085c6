namespace IommuKit.Firmware.DeviceTree.Dts;

/// <summary>One token: its kind, where it starts, and its payload (text, number or bytes).</summary>
internal readonly struct DtsToken
{
    public DtsToken(DtsTokenKind kind, in DtsSourcePosition position, ulong number = 0, string? text = null, byte[]? bytes = null)
    {
        Kind = kind;
        Position = position;
        Number = number;
        Text = text;
        Bytes = bytes;
    }

    public DtsTokenKind Kind { get; }

    public DtsSourcePosition Position { get; }

    /// <summary>Literal, character literal or byte value; the byte of a <see cref="DtsTokenKind.Char"/> token.</summary>
    public ulong Number { get; }

    /// <summary>Label, reference or name text.</summary>
    public string? Text { get; }

    /// <summary>Unescaped string content.</summary>
    public byte[]? Bytes { get; }

    public bool IsChar(char c) => Kind == DtsTokenKind.Char && Number == c;

    /// <summary>How the token reads in an error message.</summary>
    public string Describe() => Kind switch
    {
        DtsTokenKind.EndOfInput => "end of input",
        DtsTokenKind.V1 => "/dts-v1/",
        DtsTokenKind.Plugin => "/plugin/",
        DtsTokenKind.MemReserve => "/memreserve/",
        DtsTokenKind.Bits => "/bits/",
        DtsTokenKind.DeleteProperty => "/delete-property/",
        DtsTokenKind.DeleteNode => "/delete-node/",
        DtsTokenKind.OmitIfNoRef => "/omit-if-no-ref/",
        DtsTokenKind.Incbin => "/incbin/",
        DtsTokenKind.Label => $"label '{Text}:'",
        DtsTokenKind.Reference => Text!.StartsWith('/') ? $"reference '&{{{Text}}}'" : $"reference '&{Text}'",
        DtsTokenKind.PropNodeName => $"name '{Text}'",
        DtsTokenKind.Literal => $"integer {Number}",
        DtsTokenKind.CharLiteral => "character literal",
        DtsTokenKind.String => "string",
        DtsTokenKind.Byte => $"byte {Number:x2}",
        DtsTokenKind.LeftShift => "'<<'",
        DtsTokenKind.RightShift => "'>>'",
        DtsTokenKind.LessOrEqual => "'<='",
        DtsTokenKind.GreaterOrEqual => "'>='",
        DtsTokenKind.Equal => "'=='",
        DtsTokenKind.NotEqual => "'!='",
        DtsTokenKind.LogicalAnd => "'&&'",
        DtsTokenKind.LogicalOr => "'||'",
        _ => Number is >= 0x21 and <= 0x7e ? $"'{(char)Number}'" : $"byte 0x{Number:x2}",
    };
}
