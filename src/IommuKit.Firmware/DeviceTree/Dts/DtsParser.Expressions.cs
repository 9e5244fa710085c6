namespace IommuKit.Firmware.DeviceTree.Dts;

internal sealed partial class DtsParser
{
    // integer_prim: DT_LITERAL | DT_CHAR_LITERAL | '(' integer_expr ')'
    private ulong ParseIntegerPrimary()
    {
        DtsToken token = _next;
        switch (token.Kind)
        {
            case DtsTokenKind.Literal or DtsTokenKind.CharLiteral:
                Take();
                return token.Number;
            case DtsTokenKind.Char when token.IsChar('('):
                Take();
                ulong value = ParseConditional();
                Expect(')', "to close the expression");
                return value;
            default:
                Fail($"expected a number, a character literal or a parenthesised expression, found {token.Describe()}", token.Position);
                return 0;
        }
    }

    // integer_trinary: integer_or | integer_or '?' integer_expr ':' integer_trinary
    // Every operand is evaluated, as dtc's parser actions do (so 0 && (1/0) still divides by zero).
    private ulong ParseConditional()
    {
        if (++_expressionDepth > _options.MaxExpressionDepth)
        {
            Fail($"expression nested deeper than {_options.MaxExpressionDepth} levels", _next.Position);
        }

        ulong condition = ParseBinary(1);
        if (_next.IsChar('?'))
        {
            Take();
            ulong whenTrue = ParseConditional();
            Expect(':', "in a ?: expression");
            ulong whenFalse = ParseConditional();
            condition = condition != 0 ? whenTrue : whenFalse;
        }

        _expressionDepth--;
        return condition;
    }

    /// <summary>
    /// The binary levels of dtc's grammar by precedence climbing, all left-associative, all on
    /// unsigned 64-bit values: <c>||</c>, <c>&amp;&amp;</c>, <c>|</c>, <c>^</c>, <c>&amp;</c>,
    /// <c>== !=</c>, <c>&lt; &gt; &lt;= &gt;=</c>, <c>&lt;&lt; &gt;&gt;</c>, <c>+ -</c>, <c>* / %</c>.
    /// </summary>
    private ulong ParseBinary(int minimumPrecedence)
    {
        DtsSourcePosition start = _next.Position;
        ulong left = ParseUnary();
        while (true)
        {
            DtsToken op = _next;
            int precedence = Precedence(op);
            if (precedence < minimumPrecedence)
            {
                return left;
            }

            Take();
            ulong right = ParseBinary(precedence + 1);
            left = Apply(op, left, right, start);
        }
    }

    private static int Precedence(in DtsToken op) => op.Kind switch
    {
        DtsTokenKind.LogicalOr => 1,
        DtsTokenKind.LogicalAnd => 2,
        DtsTokenKind.Equal or DtsTokenKind.NotEqual => 6,
        DtsTokenKind.LessOrEqual or DtsTokenKind.GreaterOrEqual => 7,
        DtsTokenKind.LeftShift or DtsTokenKind.RightShift => 8,
        DtsTokenKind.Char => (char)op.Number switch
        {
            '|' => 3,
            '^' => 4,
            '&' => 5,
            '<' or '>' => 7,
            '+' or '-' => 9,
            '*' or '/' or '%' => 10,
            _ => 0,
        },
        _ => 0,
    };

    private static ulong Apply(in DtsToken op, ulong left, ulong right, in DtsSourcePosition start)
    {
        static ulong Bool(bool b) => b ? 1UL : 0UL;
        switch (op.Kind)
        {
            case DtsTokenKind.LogicalOr:
                return Bool(left != 0 || right != 0);
            case DtsTokenKind.LogicalAnd:
                return Bool(left != 0 && right != 0);
            case DtsTokenKind.Equal:
                return Bool(left == right);
            case DtsTokenKind.NotEqual:
                return Bool(left != right);
            case DtsTokenKind.LessOrEqual:
                return Bool(left <= right);
            case DtsTokenKind.GreaterOrEqual:
                return Bool(left >= right);
            case DtsTokenKind.LeftShift:
                // dtc gives 0 for a shift of 64 or more (C leaves it undefined).
                return right < 64 ? left << (int)right : 0;
            case DtsTokenKind.RightShift:
                return right < 64 ? left >> (int)right : 0;
        }

        switch ((char)op.Number)
        {
            case '|':
                return left | right;
            case '^':
                return left ^ right;
            case '&':
                return left & right;
            case '<':
                return Bool(left < right);
            case '>':
                return Bool(left > right);
            case '+':
                return unchecked(left + right);
            case '-':
                return unchecked(left - right);
            case '*':
                return unchecked(left * right);
            default:
                if (right == 0)
                {
                    Fail("division by zero", start);
                }

                return (char)op.Number == '/' ? left / right : left % right;
        }
    }

    // integer_unary: integer_prim | '-' integer_unary | '~' integer_unary | '!' integer_unary
    private ulong ParseUnary()
    {
        List<char>? operators = null;
        while (_next.IsChar('-') || _next.IsChar('~') || _next.IsChar('!'))
        {
            operators ??= [];
            operators.Add((char)Take().Number);
        }

        ulong value = ParseIntegerPrimary();
        if (operators is not null)
        {
            for (int i = operators.Count - 1; i >= 0; i--)
            {
                value = operators[i] switch
                {
                    '-' => unchecked(0UL - value),
                    '~' => ~value,
                    _ => value == 0 ? 1UL : 0UL,
                };
            }
        }

        return value;
    }
}
