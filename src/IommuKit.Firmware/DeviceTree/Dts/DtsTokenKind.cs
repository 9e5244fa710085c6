namespace IommuKit.Firmware.DeviceTree.Dts;

/// <summary>The kinds of token dtc's lexer produces (dtc-lexer.l), one per grammar terminal.</summary>
internal enum DtsTokenKind : byte
{
    /// <summary>End of the top source file.</summary>
    EndOfInput,

    /// <summary><c>/dts-v1/</c>.</summary>
    V1,

    /// <summary><c>/plugin/</c>.</summary>
    Plugin,

    /// <summary><c>/memreserve/</c>.</summary>
    MemReserve,

    /// <summary><c>/bits/</c>.</summary>
    Bits,

    /// <summary><c>/delete-property/</c>.</summary>
    DeleteProperty,

    /// <summary><c>/delete-node/</c>.</summary>
    DeleteNode,

    /// <summary><c>/omit-if-no-ref/</c>.</summary>
    OmitIfNoRef,

    /// <summary><c>/incbin/</c>.</summary>
    Incbin,

    /// <summary><c>name:</c>; the text is the label without the colon.</summary>
    Label,

    /// <summary><c>&amp;label</c> or <c>&amp;{/path}</c>; the text is the label or the path.</summary>
    Reference,

    /// <summary>A property or node name (lexed only where dtc's lexer expects one).</summary>
    PropNodeName,

    /// <summary>An integer literal; the number is its value.</summary>
    Literal,

    /// <summary>A character literal (<c>'a'</c>); the number is its value.</summary>
    CharLiteral,

    /// <summary>A string literal; the bytes are its unescaped content without the NUL.</summary>
    String,

    /// <summary>Two hex digits inside <c>[...]</c>; the number is the byte.</summary>
    Byte,

    /// <summary><c>&lt;&lt;</c>.</summary>
    LeftShift,

    /// <summary><c>&gt;&gt;</c>.</summary>
    RightShift,

    /// <summary><c>&lt;=</c>.</summary>
    LessOrEqual,

    /// <summary><c>&gt;=</c>.</summary>
    GreaterOrEqual,

    /// <summary><c>==</c>.</summary>
    Equal,

    /// <summary><c>!=</c>.</summary>
    NotEqual,

    /// <summary><c>&amp;&amp;</c>.</summary>
    LogicalAnd,

    /// <summary><c>||</c>.</summary>
    LogicalOr,

    /// <summary>Any other single byte; the number is the byte.</summary>
    Char,
}
