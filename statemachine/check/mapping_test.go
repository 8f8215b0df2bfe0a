package check

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecs/schemas"
	"github.com/aws/smithy-go"
)

// TestMappingMatchesTheECSAPIModel walks the mapping table beside the ECS
// API's own model (the smithy schemas the AWS SDK serializes with): every
// API name the table maps to is a member of the right structure, with a type
// the table's kind fits.
func TestMappingMatchesTheECSAPIModel(t *testing.T) {
	seen := 0
	var walk func(s *shape, api *smithy.Schema, path string)
	walk = func(s *shape, api *smithy.Schema, path string) {
		for _, p := range s.props {
			seen++
			where := path + "." + p.api + " (CloudFormation " + s.name + " " + p.cfn + ")"
			member := api.Member(p.api)
			if p.kind == kTags {
				// Tags are not a member of TaskDefinition: register's input
				// and describe's output carry them beside it.
				if api == schemas.TaskDefinition && member == nil && schemas.RegisterTaskDefinitionRequest.Member("tags") != nil {
					continue
				}
				t.Errorf("%s: tags should map to RegisterTaskDefinition's tags", where)
				continue
			}
			if member == nil {
				t.Errorf("%s: the ECS API has no such member; its members: %s", where, memberNames(api))
				continue
			}
			typ := member.Type()
			switch p.kind {
			case kString:
				if typ != smithy.ShapeTypeString && typ != smithy.ShapeTypeEnum {
					t.Errorf("%s: the API's type is %v, not a string", where, typ)
				}
			case kInteger:
				if typ != smithy.ShapeTypeInteger && typ != smithy.ShapeTypeLong {
					t.Errorf("%s: the API's type is %v, not an integer", where, typ)
				}
			case kBoolean:
				if typ != smithy.ShapeTypeBoolean {
					t.Errorf("%s: the API's type is %v, not a boolean", where, typ)
				}
			case kStringList, kIntegerList:
				if typ != smithy.ShapeTypeList {
					t.Errorf("%s: the API's type is %v, not a list", where, typ)
					continue
				}
				et := member.ListMember().Type()
				if p.kind == kStringList && et != smithy.ShapeTypeString && et != smithy.ShapeTypeEnum {
					t.Errorf("%s: the API's list items are %v, not strings", where, et)
				}
				if p.kind == kIntegerList && et != smithy.ShapeTypeInteger {
					t.Errorf("%s: the API's list items are %v, not integers", where, et)
				}
			case kStringMap:
				if typ != smithy.ShapeTypeMap || member.MapValue().Type() != smithy.ShapeTypeString {
					t.Errorf("%s: the API's type is %v, not a map of strings", where, typ)
				}
			case kObject:
				if typ != smithy.ShapeTypeStructure && typ != smithy.ShapeTypeUnion {
					t.Errorf("%s: the API's type is %v, not a structure", where, typ)
					continue
				}
				walk(p.shape, member, path+"."+p.api)
			case kObjectList:
				if typ != smithy.ShapeTypeList || member.ListMember().Type() != smithy.ShapeTypeStructure {
					t.Errorf("%s: the API's type is %v, not a list of structures", where, typ)
					continue
				}
				walk(p.shape, member.ListMember(), path+"."+p.api+"[]")
			}
		}
	}
	walk(taskDefinitionShape, schemas.TaskDefinition, "taskDefinition")
	if seen < 150 {
		t.Errorf("walked %d properties; the table has more", seen)
	}
}

func memberNames(s *smithy.Schema) string {
	var names []string
	for n := range s.Members() {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// TestMappingCoversEveryCloudFormationProperty compares the table with the
// CloudFormation resource's property list (testdata/cloudformation-properties.txt):
// every property of every property type is mapped, and the table maps
// nothing CloudFormation does not have.
func TestMappingCoversEveryCloudFormationProperty(t *testing.T) {
	f, err := os.Open("testdata/cloudformation-properties.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		typ, props, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		want[typ] = strings.Fields(props)
	}
	got := map[string][]string{}
	var collect func(s *shape)
	collect = func(s *shape) {
		name := strings.TrimPrefix(s.name, "AWS::ECS::TaskDefinition ")
		if _, done := got[name]; done {
			return
		}
		var props []string
		for _, p := range s.props {
			props = append(props, p.cfn)
			if p.shape != nil {
				collect(p.shape)
			}
		}
		slices.Sort(props)
		got[name] = props
	}
	collect(taskDefinitionShape)
	for typ, props := range want {
		if !slices.Equal(got[typ], props) {
			t.Errorf("%s: the table maps %v; CloudFormation has %v", typ, got[typ], props)
		}
	}
	for typ := range got {
		if _, ok := want[typ]; !ok {
			t.Errorf("the table has property type %s, which CloudFormation has not", typ)
		}
	}
}
