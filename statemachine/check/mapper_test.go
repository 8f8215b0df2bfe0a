package check

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// mapYAML maps the Properties of the template's resource "TD" with the
// given account and region.
func mapYAML(t *testing.T, text, account, region string) (doc map[string]any, m *mapper) {
	t.Helper()
	root, perr := parse("template.yaml", []byte(text))
	if perr != nil {
		t.Fatal(perr)
	}
	tpl, perr := newTemplate("template.yaml", root, newEnv(account, region))
	if perr != nil {
		t.Fatal(perr)
	}
	m = &mapper{t: tpl}
	props := get(get(get(root, "Resources"), "TD"), "Properties")
	doc = m.object(props, taskDefinitionShape, "/Resources/TD/Properties", inputTaskDefinition)
	return doc, m
}

// wrap wraps properties (YAML, indented by six spaces) into a template
// with a parameter, a mapping and another resource.
func wrap(props string) string {
	return `Parameters:
  Tag: {Type: String, Default: "1.0"}
Mappings:
  Registries:
    us-east-1: {Host: 123456789012.dkr.ecr.us-east-1.amazonaws.com}
Resources:
  Role: {Type: AWS::IAM::Role}
  TD:
    Type: AWS::ECS::TaskDefinition
    Properties:
` + props
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCloudFormationPropertiesMapToTheAPIShape pins the mapping of
// CloudFormation's property names and values to the ECS API's.
func TestCloudFormationPropertiesMapToTheAPIShape(t *testing.T) {
	tests := []struct {
		name  string
		props string
		want  string // the mapped document as JSON (keys sorted)
	}{
		{
			name: "container properties take the API's names",
			props: `      ContainerDefinitions:
        - Name: web
          Image: nginx:1.25
          Privileged: true
          ReadonlyRootFilesystem: false
          User: "1000"
          Environment: [{Name: A, Value: b}]
          Secrets: [{Name: S, ValueFrom: arn:aws:ssm:us-east-1:123456789012:parameter/s}]
          LinuxParameters: {Capabilities: {Add: [NET_ADMIN], Drop: [ALL]}, InitProcessEnabled: true}
          HealthCheck: {Command: [CMD, /ok], Interval: 30}
          MountPoints: [{ContainerPath: /data, ReadOnly: true, SourceVolume: data}]
          PortMappings: [{ContainerPort: 80, HostPort: 80, Protocol: tcp}]
          Ulimits: [{Name: nofile, SoftLimit: 1024, HardLimit: 4096}]
          RepositoryCredentials: {CredentialsParameter: arn:aws:secretsmanager:us-east-1:123456789012:secret:r}
`,
			want: `{"containerDefinitions":[{"environment":[{"name":"A","value":"b"}],"healthCheck":{"command":["CMD","/ok"],"interval":30},"image":"nginx:1.25","linuxParameters":{"capabilities":{"add":["NET_ADMIN"],"drop":["ALL"]},"initProcessEnabled":true},"mountPoints":[{"containerPath":"/data","readOnly":true,"sourceVolume":"data"}],"name":"web","portMappings":[{"containerPort":80,"hostPort":80,"protocol":"tcp"}],"privileged":true,"readonlyRootFilesystem":false,"repositoryCredentials":{"credentialsParameter":"arn:aws:secretsmanager:us-east-1:123456789012:secret:r"},"secrets":[{"name":"S","valueFrom":"arn:aws:ssm:us-east-1:123456789012:parameter/s"}],"ulimits":[{"hardLimit":4096,"name":"nofile","softLimit":1024}],"user":"1000"}]}`,
		},
		{
			name: "irregular names: FilesystemId, IAM, FSx, ProxyConfigurationProperties, S3Files, Host",
			props: `      ProxyConfiguration:
        ContainerName: envoy
        Type: APPMESH
        ProxyConfigurationProperties: [{Name: IgnoredUID, Value: "1337"}]
      Volumes:
        - Name: efs
          EFSVolumeConfiguration:
            FilesystemId: fs-1
            TransitEncryption: ENABLED
            TransitEncryptionPort: 2049
            AuthorizationConfig: {AccessPointId: fsap-1, IAM: ENABLED}
        - Name: fsx
          FSxWindowsFileServerVolumeConfiguration:
            FileSystemId: fs-2
            RootDirectory: /share
            AuthorizationConfig: {CredentialsParameter: arn:aws:ssm:us-east-1:123456789012:parameter/c, Domain: corp}
        - Name: s3
          S3FilesVolumeConfiguration: {FileSystemArn: arn:aws:s3files:us-east-1:123456789012:file-system/fs-3}
        - Name: docker
          Host: {SourcePath: /var/run/docker.sock}
`,
			want: `{"proxyConfiguration":{"containerName":"envoy","properties":[{"name":"IgnoredUID","value":"1337"}],"type":"APPMESH"},"volumes":[{"efsVolumeConfiguration":{"authorizationConfig":{"accessPointId":"fsap-1","iam":"ENABLED"},"fileSystemId":"fs-1","transitEncryption":"ENABLED","transitEncryptionPort":2049},"name":"efs"},{"fsxWindowsFileServerVolumeConfiguration":{"authorizationConfig":{"credentialsParameter":"arn:aws:ssm:us-east-1:123456789012:parameter/c","domain":"corp"},"fileSystemId":"fs-2","rootDirectory":"/share"},"name":"fsx"},{"name":"s3","s3filesVolumeConfiguration":{"fileSystemArn":"arn:aws:s3files:us-east-1:123456789012:file-system/fs-3"}},{"host":{"sourcePath":"/var/run/docker.sock"},"name":"docker"}]}`,
		},
		{
			name: "keys of map properties are data, kept as they are",
			props: `      ContainerDefinitions:
        - Name: web
          DockerLabels: {com.example.Team: Payments}
          LogConfiguration: {LogDriver: awslogs, Options: {awslogs-group: /ecs/web, Mode: x}}
`,
			want: `{"containerDefinitions":[{"dockerLabels":{"com.example.Team":"Payments"},"logConfiguration":{"logDriver":"awslogs","options":{"Mode":"x","awslogs-group":"/ecs/web"}},"name":"web"}]}`,
		},
		{
			name: "values are converted as CloudFormation converts them",
			props: `      Cpu: 256
      Memory: 512
      ContainerDefinitions:
        - Name: web
          Privileged: "true"
          Essential: "False"
          Cpu: "128"
          Memory: 256
          User: 1000
          RestartPolicy: {Enabled: true, IgnoredExitCodes: ["0", 1]}
`,
			want: `{"containerDefinitions":[{"cpu":128,"essential":false,"memory":256,"name":"web","privileged":true,"restartPolicy":{"enabled":true,"ignoredExitCodes":[0,1]},"user":"1000"}],"cpu":"256","memory":"512"}`,
		},
		{
			name: "pseudo parameters resolve from the flags in Sub, Join, Select, Split, FindInMap and Base64",
			props: `      ExecutionRoleArn: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/exec"
      ContainerDefinitions:
        - Name: a
          Image: !Sub "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/a:1"
        - Name: b
          Image: {"Fn::Join": ["", [{"Ref": "AWS::AccountId"}, ".dkr.ecr.", {"Ref": "AWS::Region"}, ".amazonaws.com/b:1"]]}
        - Name: c
          Image: !Join ["/", [!FindInMap [Registries, !Ref "AWS::Region", Host], "c:1"]]
          Command: !Split [",", "x,y"]
          EntryPoint: [!Select [1, [!Ref Tag, "sh"]]]
          Environment: [{Name: B64, Value: !Base64 "hi"}, {Name: ESC, Value: !Sub "${!Literal}-${AWS::Region}"}]
        - Name: d
          Image: !Sub
            - "${Host}/d:${Version}"
            - Host: !FindInMap [Registries, us-east-1, Host]
              Version: "2"
`,
			want: `{"containerDefinitions":[{"image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/a:1","name":"a"},{"image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/b:1","name":"b"},{"command":["x","y"],"entryPoint":["sh"],"environment":[{"name":"B64","value":"aGk="},{"name":"ESC","value":"${Literal}-us-east-1"}],"image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/c:1","name":"c"},{"image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/d:2","name":"d"}],"executionRoleArn":"arn:aws:iam::123456789012:role/exec"}`,
		},
		{
			name: "AWS::NoValue removes the property or the list item",
			props: `      TaskRoleArn: !Ref AWS::NoValue
      ContainerDefinitions:
        - Name: web
          Command: [run, !Ref AWS::NoValue, now]
          User: {"Ref": "AWS::NoValue"}
`,
			want: `{"containerDefinitions":[{"command":["run","now"],"name":"web"}]}`,
		},
		{
			name: "unknown values are left out, never guessed",
			props: `      TaskRoleArn: !GetAtt Role.Arn
      Family: !ImportValue shared-family
      NetworkMode: !If [IsProd, awsvpc, bridge]
      ContainerDefinitions:
        - Name: web
          Image: !Sub "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/web:${Tag}"
          Privileged: !Ref Tag
          Environment: [{Name: KEEP, Value: "1"}, !If [IsProd, {Name: X, Value: "2"}, !Ref AWS::NoValue]]
        - !If [IsProd, {Name: extra, Image: x}, !Ref AWS::NoValue]
      Tags:
        - {Key: owner, Value: !Ref Tag}
        - {Key: team, Value: payments}
`,
			want: `{"containerDefinitions":[{"environment":[{"name":"KEEP","value":"1"}],"name":"web"}]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, m := mapYAML(t, wrap(tc.props), "123456789012", "us-east-1")
			for _, e := range m.errs {
				t.Errorf("error: %v", e)
			}
			if got := asJSON(t, doc); got != tc.want {
				t.Errorf("mapped to\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestUnknownValuesAreReportedWithWhereAndWhy(t *testing.T) {
	_, m := mapYAML(t, wrap(`      TaskRoleArn: !GetAtt Role.Arn
      Family: !ImportValue shared-family
      NetworkMode: !If [IsProd, awsvpc, bridge]
      ContainerDefinitions:
        - Name: web
          Image: !Sub "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/web:${Tag}"
          LogConfiguration: {LogDriver: awslogs, Options: {awslogs-group: !Ref Role}}
        - !If [IsProd, {Name: extra, Image: x}, !Ref AWS::NoValue]
      Tags:
        - {Key: owner, Value: !Ref Tag}
`), "123456789012", "us-east-1")
	if len(m.errs) > 0 {
		t.Fatal(m.errs[0])
	}
	var got []string
	for _, u := range m.unknown {
		got = append(got, u.Field+" | "+u.Property+" | "+u.Expression+" | "+u.Reason)
	}
	want := []string{
		`/taskDefinition/containerDefinitions/0/image | /Resources/TD/Properties/ContainerDefinitions/0/Image | Fn::Sub "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/web:${Tag}" | parameter Tag is chosen at deploy time (its default "1.0" is not assumed)`,
		`/taskDefinition/containerDefinitions/0/logConfiguration/options/awslogs-group | /Resources/TD/Properties/ContainerDefinitions/0/LogConfiguration/Options/awslogs-group | Ref Role | the id of resource Role, known only once the stack creates it`,
		`/taskDefinition/containerDefinitions/1 | /Resources/TD/Properties/ContainerDefinitions/1 | Fn::If [IsProd, {Name: extra, Image: x}, Ref AWS::NoValue] | depends on condition IsProd, which check does not evaluate (conditions depend on parameters)`,
		`/taskDefinition/family | /Resources/TD/Properties/Family | Fn::ImportValue shared-family | an export of another stack, known only at deploy time`,
		`/taskDefinition/networkMode | /Resources/TD/Properties/NetworkMode | Fn::If [IsProd, awsvpc, bridge] | depends on condition IsProd, which check does not evaluate (conditions depend on parameters)`,
		`/tags/owner | /Resources/TD/Properties/Tags/0/Value | Ref Tag | parameter Tag is chosen at deploy time (its default "1.0" is not assumed)`,
		`/taskDefinition/taskRoleArn | /Resources/TD/Properties/TaskRoleArn | Fn::GetAtt Role.Arn | an attribute of resource Role, known only once the stack creates it`,
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(want, got) {
		t.Errorf("unknown values:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, u := range m.unknown {
		if u.Line == 0 {
			t.Errorf("%s has no line", u.Field)
		}
	}
}

func TestPseudoParametersAreUnknownWithoutTheFlags(t *testing.T) {
	doc, m := mapYAML(t, wrap(`      ContainerDefinitions:
        - Name: web
          Image: !Sub "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/web:1"
`), "", "")
	if len(m.errs) > 0 {
		t.Fatal(m.errs[0])
	}
	if got := asJSON(t, doc); got != `{"containerDefinitions":[{"name":"web"}]}` {
		t.Errorf("mapped to %s", got)
	}
	if len(m.unknown) != 1 || !strings.Contains(m.unknown[0].Reason, "give --account") || !strings.Contains(m.unknown[0].Reason, "give --region") {
		t.Errorf("unknown = %+v, want one naming --account and --region", m.unknown)
	}
}

func TestPartitionAndURLSuffixFollowTheRegion(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1":       "aws amazonaws.com",
		"cn-north-1":      "aws-cn amazonaws.com.cn",
		"us-gov-west-1":   "aws-us-gov amazonaws.com",
		"us-iso-east-1":   "aws-iso c2s.ic.gov",
		"us-isob-east-1":  "aws-iso-b sc2s.sgov.gov",
		"eu-isoe-west-1":  "aws-iso-e cloud.adc-e.uk",
		"us-isof-south-1": "aws-iso-f csp.hci.ic.gov",
		"eusc-de-east-1":  "aws-eusc amazonaws.eu",
	} {
		e := newEnv("123456789012", region)
		if got := e.partition + " " + e.urlSuffix; got != want {
			t.Errorf("%s: %s, want %s", region, got, want)
		}
	}
}

func TestUnmappedPropertiesAreLeftOutAndReported(t *testing.T) {
	doc, m := mapYAML(t, wrap(`      ContainerDefinitions:
        - Name: web
          ReadOnlyRootFilesystem: true
          Priviledged: true
      RuntimePlatfrom: {OperatingSystemFamily: LINUX}
`), "123456789012", "us-east-1")
	if len(m.errs) > 0 {
		t.Fatal(m.errs[0])
	}
	if got := asJSON(t, doc); got != `{"containerDefinitions":[{"name":"web"}]}` {
		t.Errorf("mapped to %s", got)
	}
	var got []string
	for _, u := range m.unmapped {
		got = append(got, u.Property+": "+u.Message)
	}
	want := []string{
		"/Resources/TD/Properties/ContainerDefinitions/0/ReadOnlyRootFilesystem: ReadOnlyRootFilesystem is not a property of AWS::ECS::TaskDefinition ContainerDefinition (did you mean ReadonlyRootFilesystem?); left out",
		"/Resources/TD/Properties/ContainerDefinitions/0/Priviledged: Priviledged is not a property of AWS::ECS::TaskDefinition ContainerDefinition; left out",
		"/Resources/TD/Properties/RuntimePlatfrom: RuntimePlatfrom is not a property of AWS::ECS::TaskDefinition; left out",
	}
	if !slices.Equal(want, got) {
		t.Errorf("unmapped:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestWrongValuesAreBadInputWithTheirLine(t *testing.T) {
	tests := []struct {
		name, props, want string
	}{
		{"a boolean that is not", "      ContainerDefinitions:\n        - Name: web\n          Privileged: \"yes\"\n", `template.yaml:13:23: /Resources/TD/Properties/ContainerDefinitions/0/Privileged: Privileged is "yes", not a boolean (true or false)`},
		{"an integer that is not", "      ContainerDefinitions:\n        - Name: web\n          Memory: lots\n", `template.yaml:13:19: /Resources/TD/Properties/ContainerDefinitions/0/Memory: Memory is "lots", not a whole number`},
		{"a list where an object is wanted", "      RuntimePlatform: [LINUX]\n", `template.yaml:11:24: /Resources/TD/Properties/RuntimePlatform: RuntimePlatform is a list, not an object (AWS::ECS::TaskDefinition RuntimePlatform)`},
		{"an object where a list is wanted", "      ContainerDefinitions: {Name: web}\n", `template.yaml:11:29: /Resources/TD/Properties/ContainerDefinitions: ContainerDefinitions is an object, not a list`},
		{"a Ref to nothing", "      TaskRoleArn: !Ref NoSuchThing\n", `template.yaml:11:20: /Resources/TD/Properties/TaskRoleArn/Ref: Ref to "NoSuchThing", which is neither a parameter nor a resource of the template`},
		{"a FindInMap miss", "      Cpu: !FindInMap [Registries, eu-west-1, Host]\n", `template.yaml:11:12: /Resources/TD/Properties/Cpu/Fn::FindInMap: Fn::FindInMap: mapping Registries has no eu-west-1/Host`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, m := mapYAML(t, wrap(tc.props), "123456789012", "us-east-1")
			if len(m.errs) != 1 {
				t.Fatalf("%d errors, want 1: %v", len(m.errs), m.errs)
			}
			if got := m.errs[0].Error(); got != tc.want {
				t.Errorf("error\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestYAMLShortFormsReadAsLongForms(t *testing.T) {
	short := wrap(`      Family: !Join ["-", [!Select [0, !Split [",", "web,api"]], svc]]
      ContainerDefinitions:
        - Name: web
          Image: !Sub "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/web:1"
`)
	long := wrap(`      Family: {"Fn::Join": ["-", [{"Fn::Select": [0, {"Fn::Split": [",", "web,api"]}]}, svc]]}
      ContainerDefinitions:
        - Name: web
          Image: {"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/web:1"}
`)
	a, _ := mapYAML(t, short, "123456789012", "us-east-1")
	b, _ := mapYAML(t, long, "123456789012", "us-east-1")
	if asJSON(t, a) != asJSON(t, b) || !strings.Contains(asJSON(t, a), `"family":"web-svc"`) {
		t.Errorf("short form %s, long form %s", asJSON(t, a), asJSON(t, b))
	}
}
