package asl

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

func evalIntrinsic(t *testing.T, expr, doc string) (any, error) {
	t.Helper()
	fn, err := parseIntrinsic(expr)
	if err != nil {
		return nil, err
	}
	ctx := map[string]any{"Execution": map[string]any{"Name": "run-1"}}
	return fn.eval(&intrinsicEnv{doc: mustDecode(t, doc), ctx: ctx, rng: rand.New(rand.NewPCG(1, 2))})
}

func TestIntrinsics(t *testing.T) {
	doc := `{"name": "World", "n": 3, "list": [1, 2, 2, {"a": 1}, {"a": 1}], "obj": {"a": 1, "b": [true]}, "json": "{\"x\": [1, 2]}", "tmpl": "{} + {}", "csv": "a,b,,c"}`
	tests := []struct {
		name, expr, want string
	}{
		{"Format with literal and path", `States.Format('Hello, {}!', $.name)`, `"Hello, World!"`},
		// Objects as Java prints them: see TestIntrinsicsAsRecorded.
		{"Format renders numbers, booleans, null and objects", `States.Format('{} {} {} {}', $.n, true, null, $.obj)`, `"3 true null {a=1, b=[true]}"`},
		{"Format escapes braces and quotes", `States.Format('\{\} it\'s {}', $.name)`, `"{} it's World"`},
		{"Format template from a path", `States.Format($.tmpl, 1, 2)`, `"1 + 2"`},
		{"Format with a context path", `States.Format('run {}', $$.Execution.Name)`, `"run run-1"`},
		{"StringToJson", `States.StringToJson($.json)`, `{"x":[1,2]}`},
		{"JsonToString", `States.JsonToString($.obj)`, `"{\"a\":1,\"b\":[true]}"`},
		{"Array of mixed arguments", `States.Array('a', 1, $.n, true, null)`, `["a",1,3,true,null]`},
		{"empty Array", `States.Array()`, `[]`},
		{"ArrayPartition", `States.ArrayPartition($.list, 2)`, `[[1,2],[2,{"a":1}],[{"a":1}]]`},
		{"ArrayContains finds an object", `States.ArrayContains($.list, $.list[3])`, `true`},
		{"ArrayContains misses", `States.ArrayContains($.list, 7)`, `false`},
		{"ArrayRange", `States.ArrayRange(1, 9, 2)`, `[1,3,5,7,9]`},
		{"ArrayRange downwards", `States.ArrayRange(3, 1, -1)`, `[3,2,1]`},
		{"ArrayGetItem", `States.ArrayGetItem($.list, 3)`, `{"a":1}`},
		{"ArrayLength", `States.ArrayLength($.list)`, `5`},
		{"ArrayUnique keeps the first of equal items", `States.ArrayUnique($.list)`, `[1,2,{"a":1}]`},
		{"Base64Encode", `States.Base64Encode('Data to encode')`, `"RGF0YSB0byBlbmNvZGU="`},
		{"Base64Decode", `States.Base64Decode('RGF0YSB0byBlbmNvZGU=')`, `"Data to encode"`},
		{"Hash SHA-1 (the AWS docs example)", `States.Hash('input data', 'SHA-1')`, `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
		{"Hash SHA-256", `States.Hash('input data', 'SHA-256')`, `"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"`},
		{"Hash MD5", `States.Hash('', 'MD5')`, `"d41d8cd98f00b204e9800998ecf8427e"`},
		{"JsonMerge shallow, second wins", `States.JsonMerge($.obj, States.StringToJson('{"a": 2, "c": 3}'), false)`, `{"a":2,"b":[true],"c":3}`},
		{"MathAdd", `States.MathAdd($.n, -1)`, `2`},
		{"MathRandom with a seed is repeatable", `States.MathRandom(1, 2, 42)`, `1`},
		{"StringSplit on any delimiter, dropping empty parts", `States.StringSplit('This.is+a,test=string', '.+,=')`, `["This","is","a","test","string"]`},
		{"StringSplit csv", `States.StringSplit($.csv, ',')`, `["a","b","c"]`},
		{"nested calls", `States.ArrayLength(States.Array(1, 2, States.MathAdd(1, 2)))`, `3`},
		{"path with brackets and commas in quotes", `States.Array($['name'], $.list[0])`, `["World",1]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := evalIntrinsic(t, tc.expr, doc)
			if err != nil {
				t.Fatalf("%s: %v", tc.expr, err)
			}
			if !jsonEqual(got, mustDecode(t, tc.want)) {
				t.Fatalf("%s = %s, want %s", tc.expr, encodeJSON(got), tc.want)
			}
		})
	}
}

func TestIntrinsicUUIDAndRandom(t *testing.T) {
	got, err := evalIntrinsic(t, `States.UUID()`, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(got.(string)) {
		t.Fatalf("UUID = %v, want a version 4 UUID", got)
	}
	for i := 0; i < 50; i++ {
		v, err := evalIntrinsic(t, `States.MathRandom(5, 8)`, `{}`)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := asInt(v); n < 5 || n >= 8 {
			t.Fatalf("MathRandom(5, 8) = %v, want in [5, 8)", v)
		}
	}
}

func TestIntrinsicErrors(t *testing.T) {
	tests := []struct{ name, expr, want string }{
		{"unknown function", `States.Nope(1)`, "unknown function"},
		{"wrong arity", `States.ArrayLength(1, 2)`, "takes 1 argument"},
		{"UUID takes none", `States.UUID(1)`, "takes 0 argument"},
		{"unterminated string", `States.Format('abc`, "unterminated"},
		{"missing paren", `States.Format('abc'`, "missing ')'"},
		{"trailing text", `States.UUID() x`, "unexpected"},
		{"bad literal", `States.Array(abc)`, "invalid argument"},
		{"missing path", `States.Array($.nope)`, "The JsonPath argument for the field '$.nope' could not be found in the input '{}'"},
		{"Format counts placeholders", `States.Format('{} {}', 1)`, "more {} than arguments"},
		{"Format too many arguments", `States.Format('{}', 1, 2)`, "but 2 arguments"},
		{"StringToJson of non-JSON", `States.StringToJson('nope')`, "not JSON"},
		{"ArrayGetItem out of range", `States.ArrayGetItem(States.Array(1), 5)`, "out of range"},
		{"ArrayLength of a string", `States.ArrayLength('abc')`, "must be an array"},
		{"ArrayRange with a zero step", `States.ArrayRange(1, 5, 0)`, "non-zero step"},
		{"ArrayRange too long", `States.ArrayRange(1, 5000, 1)`, "more than 1000"},
		{"MathAdd of a string", `States.MathAdd('1', 1)`, "two numbers"},
		{"MathRandom over more than an int64", `States.MathRandom(-9000000000000000000, 9000000000000000000)`, "start < end"},
		{"MathAdd out of the int32 range", `States.MathAdd(2147483648, 1)`, "between -2147483648 and 2147483647"},
		{"Format with a { that is not {}", `States.Format('a {x}', 1)`, "Invalid template in States.Format: matching '}' not found for '{'."},
		{"Hash with an unknown algorithm", `States.Hash('a', 'CRC32')`, "unknown algorithm"},
		{"JsonMerge deep", `States.JsonMerge(States.StringToJson('{}'), States.StringToJson('{}'), true)`, "deep merge is not supported"},
		{"Base64Decode of garbage", `States.Base64Decode('%%%')`, "invalid base64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := evalIntrinsic(t, tc.expr, `{}`)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%s: error = %v, want it to contain %q", tc.expr, err, tc.want)
			}
		})
	}
}
