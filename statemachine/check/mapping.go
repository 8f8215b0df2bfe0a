package check

// The CloudFormation → ECS API mapping: every property of
// AWS::ECS::TaskDefinition and of its property types, with the name the ECS
// API (and so `aws ecs describe-task-definition`, and so the policy) gives
// it, and the value's type. It is an explicit table, not a lowercasing of
// keys: CloudFormation's names are not always the API's with a capital
// letter (EFSVolumeConfiguration.FilesystemId is efsVolumeConfiguration
// .fileSystemId, AuthorizationConfig.IAM is authorizationConfig.iam,
// ProxyConfiguration.ProxyConfigurationProperties is proxyConfiguration
// .properties, Volume.S3FilesVolumeConfiguration is s3filesVolumeConfiguration),
// and the keys of map-valued properties (DockerLabels,
// LogConfiguration.Options, …) are data, kept as they are.
//
// mapping_test.go checks the table against the ECS API's own model (the
// smithy schemas of aws-sdk-go-v2/service/ecs: every API name exists, with a
// compatible type) and against the list of CloudFormation properties in
// testdata/cloudformation-properties.txt (every property is mapped).
//
// A property the table does not know (a typo, or a property newer than this
// table) is left out of the evaluated task definition and reported as
// unmapped: never guessed.

// kind is the type of a property's value.
type kind int

const (
	kString      kind = iota // a string (numbers and booleans are converted, as CloudFormation does)
	kInteger                 // an integer (numeric strings are converted)
	kBoolean                 // a boolean ("true"/"false" strings are converted)
	kStringList              // a list of strings
	kIntegerList             // a list of integers
	kStringMap               // an object whose keys are data (kept as they are) and values strings
	kObject                  // an object of another property type
	kObjectList              // a list of objects of another property type
	kTags                    // the resource's Tags: [{Key, Value}], which become input.tags
)

// prop is one property: its CloudFormation name, its ECS API name, its type
// and, for kObject and kObjectList, the property type of its value.
type prop struct {
	cfn   string
	api   string
	kind  kind
	shape *shape
}

// shape is a CloudFormation property type (or the resource's Properties).
type shape struct {
	// name is the CloudFormation name of the property type
	// ("AWS::ECS::TaskDefinition ContainerDefinition").
	name  string
	props []prop
}

func (s *shape) lookup(cfn string) (prop, bool) {
	for _, p := range s.props {
		if p.cfn == cfn {
			return p, true
		}
	}
	return prop{}, false
}

func pt(name string) string { return "AWS::ECS::TaskDefinition " + name }

var (
	keyValuePairShape = &shape{pt("KeyValuePair"), []prop{
		{"Name", "name", kString, nil},
		{"Value", "value", kString, nil},
	}}
	secretShape = &shape{pt("Secret"), []prop{
		{"Name", "name", kString, nil},
		{"ValueFrom", "valueFrom", kString, nil},
	}}

	// Task-level property types.
	ephemeralStorageShape = &shape{pt("EphemeralStorage"), []prop{
		{"SizeInGiB", "sizeInGiB", kInteger, nil},
	}}
	inferenceAcceleratorShape = &shape{pt("InferenceAccelerator"), []prop{
		{"DeviceName", "deviceName", kString, nil},
		{"DeviceType", "deviceType", kString, nil},
	}}
	placementConstraintShape = &shape{pt("TaskDefinitionPlacementConstraint"), []prop{
		{"Expression", "expression", kString, nil},
		{"Type", "type", kString, nil},
	}}
	proxyConfigurationShape = &shape{pt("ProxyConfiguration"), []prop{
		{"ContainerName", "containerName", kString, nil},
		{"ProxyConfigurationProperties", "properties", kObjectList, keyValuePairShape},
		{"Type", "type", kString, nil},
	}}
	runtimePlatformShape = &shape{pt("RuntimePlatform"), []prop{
		{"CpuArchitecture", "cpuArchitecture", kString, nil},
		{"OperatingSystemFamily", "operatingSystemFamily", kString, nil},
	}}

	// Volumes.
	hostVolumeShape = &shape{pt("HostVolumeProperties"), []prop{
		{"SourcePath", "sourcePath", kString, nil},
	}}
	dockerVolumeShape = &shape{pt("DockerVolumeConfiguration"), []prop{
		{"Autoprovision", "autoprovision", kBoolean, nil},
		{"Driver", "driver", kString, nil},
		{"DriverOpts", "driverOpts", kStringMap, nil},
		{"Labels", "labels", kStringMap, nil},
		{"Scope", "scope", kString, nil},
	}}
	efsAuthorizationShape = &shape{pt("AuthorizationConfig"), []prop{
		{"AccessPointId", "accessPointId", kString, nil},
		{"IAM", "iam", kString, nil},
	}}
	efsVolumeShape = &shape{pt("EFSVolumeConfiguration"), []prop{
		{"AuthorizationConfig", "authorizationConfig", kObject, efsAuthorizationShape},
		{"FilesystemId", "fileSystemId", kString, nil},
		{"RootDirectory", "rootDirectory", kString, nil},
		{"TransitEncryption", "transitEncryption", kString, nil},
		{"TransitEncryptionPort", "transitEncryptionPort", kInteger, nil},
	}}
	fsxAuthorizationShape = &shape{pt("FSxAuthorizationConfig"), []prop{
		{"CredentialsParameter", "credentialsParameter", kString, nil},
		{"Domain", "domain", kString, nil},
	}}
	fsxVolumeShape = &shape{pt("FSxWindowsFileServerVolumeConfiguration"), []prop{
		{"AuthorizationConfig", "authorizationConfig", kObject, fsxAuthorizationShape},
		{"FileSystemId", "fileSystemId", kString, nil},
		{"RootDirectory", "rootDirectory", kString, nil},
	}}
	s3FilesVolumeShape = &shape{pt("S3FilesVolumeConfiguration"), []prop{
		{"AccessPointArn", "accessPointArn", kString, nil},
		{"FileSystemArn", "fileSystemArn", kString, nil},
		{"RootDirectory", "rootDirectory", kString, nil},
		{"TransitEncryptionPort", "transitEncryptionPort", kInteger, nil},
	}}
	volumeShape = &shape{pt("Volume"), []prop{
		{"ConfiguredAtLaunch", "configuredAtLaunch", kBoolean, nil},
		{"DockerVolumeConfiguration", "dockerVolumeConfiguration", kObject, dockerVolumeShape},
		{"EFSVolumeConfiguration", "efsVolumeConfiguration", kObject, efsVolumeShape},
		{"FSxWindowsFileServerVolumeConfiguration", "fsxWindowsFileServerVolumeConfiguration", kObject, fsxVolumeShape},
		{"Host", "host", kObject, hostVolumeShape},
		{"Name", "name", kString, nil},
		{"S3FilesVolumeConfiguration", "s3filesVolumeConfiguration", kObject, s3FilesVolumeShape},
	}}

	// Container definitions.
	containerDependencyShape = &shape{pt("ContainerDependency"), []prop{
		{"Condition", "condition", kString, nil},
		{"ContainerName", "containerName", kString, nil},
	}}
	environmentFileShape = &shape{pt("EnvironmentFile"), []prop{
		{"Type", "type", kString, nil},
		{"Value", "value", kString, nil},
	}}
	hostEntryShape = &shape{pt("HostEntry"), []prop{
		{"Hostname", "hostname", kString, nil},
		{"IpAddress", "ipAddress", kString, nil},
	}}
	firelensShape = &shape{pt("FirelensConfiguration"), []prop{
		{"Options", "options", kStringMap, nil},
		{"Type", "type", kString, nil},
	}}
	healthCheckShape = &shape{pt("HealthCheck"), []prop{
		{"Command", "command", kStringList, nil},
		{"Interval", "interval", kInteger, nil},
		{"Retries", "retries", kInteger, nil},
		{"StartPeriod", "startPeriod", kInteger, nil},
		{"Timeout", "timeout", kInteger, nil},
	}}
	capabilitiesShape = &shape{pt("KernelCapabilities"), []prop{
		{"Add", "add", kStringList, nil},
		{"Drop", "drop", kStringList, nil},
	}}
	deviceShape = &shape{pt("Device"), []prop{
		{"ContainerPath", "containerPath", kString, nil},
		{"HostPath", "hostPath", kString, nil},
		{"Permissions", "permissions", kStringList, nil},
	}}
	tmpfsShape = &shape{pt("Tmpfs"), []prop{
		{"ContainerPath", "containerPath", kString, nil},
		{"MountOptions", "mountOptions", kStringList, nil},
		{"Size", "size", kInteger, nil},
	}}
	linuxParametersShape = &shape{pt("LinuxParameters"), []prop{
		{"Capabilities", "capabilities", kObject, capabilitiesShape},
		{"Devices", "devices", kObjectList, deviceShape},
		{"InitProcessEnabled", "initProcessEnabled", kBoolean, nil},
		{"MaxSwap", "maxSwap", kInteger, nil},
		{"SharedMemorySize", "sharedMemorySize", kInteger, nil},
		{"Swappiness", "swappiness", kInteger, nil},
		{"Tmpfs", "tmpfs", kObjectList, tmpfsShape},
	}}
	logConfigurationShape = &shape{pt("LogConfiguration"), []prop{
		{"LogDriver", "logDriver", kString, nil},
		{"Options", "options", kStringMap, nil},
		{"SecretOptions", "secretOptions", kObjectList, secretShape},
	}}
	mountPointShape = &shape{pt("MountPoint"), []prop{
		{"ContainerPath", "containerPath", kString, nil},
		{"ReadOnly", "readOnly", kBoolean, nil},
		{"SourceVolume", "sourceVolume", kString, nil},
	}}
	portMappingShape = &shape{pt("PortMapping"), []prop{
		{"AppProtocol", "appProtocol", kString, nil},
		{"ContainerPort", "containerPort", kInteger, nil},
		{"ContainerPortRange", "containerPortRange", kString, nil},
		{"HostPort", "hostPort", kInteger, nil},
		{"Name", "name", kString, nil},
		{"Protocol", "protocol", kString, nil},
	}}
	repositoryCredentialsShape = &shape{pt("RepositoryCredentials"), []prop{
		{"CredentialsParameter", "credentialsParameter", kString, nil},
	}}
	nvidiaMpsShape = &shape{pt("NvidiaMpsAllocation"), []prop{
		{"MaxComputePercent", "maxComputePercent", kInteger, nil},
		{"Memory", "memory", kInteger, nil},
	}}
	sharingStrategyShape = &shape{pt("SharingStrategy"), []prop{
		{"NvidiaMps", "nvidiaMps", kObject, nvidiaMpsShape},
	}}
	resourceRequirementShape = &shape{pt("ResourceRequirement"), []prop{
		{"SharingStrategy", "sharingStrategy", kObject, sharingStrategyShape},
		{"Type", "type", kString, nil},
		{"Value", "value", kString, nil},
	}}
	restartPolicyShape = &shape{pt("RestartPolicy"), []prop{
		{"Enabled", "enabled", kBoolean, nil},
		{"IgnoredExitCodes", "ignoredExitCodes", kIntegerList, nil},
		{"RestartAttemptPeriod", "restartAttemptPeriod", kInteger, nil},
	}}
	systemControlShape = &shape{pt("SystemControl"), []prop{
		{"Namespace", "namespace", kString, nil},
		{"Value", "value", kString, nil},
	}}
	ulimitShape = &shape{pt("Ulimit"), []prop{
		{"HardLimit", "hardLimit", kInteger, nil},
		{"Name", "name", kString, nil},
		{"SoftLimit", "softLimit", kInteger, nil},
	}}
	volumeFromShape = &shape{pt("VolumeFrom"), []prop{
		{"ReadOnly", "readOnly", kBoolean, nil},
		{"SourceContainer", "sourceContainer", kString, nil},
	}}
	containerDefinitionShape = &shape{pt("ContainerDefinition"), []prop{
		{"Command", "command", kStringList, nil},
		{"Cpu", "cpu", kInteger, nil},
		{"CredentialSpecs", "credentialSpecs", kStringList, nil},
		{"DependsOn", "dependsOn", kObjectList, containerDependencyShape},
		{"DisableNetworking", "disableNetworking", kBoolean, nil},
		{"DnsSearchDomains", "dnsSearchDomains", kStringList, nil},
		{"DnsServers", "dnsServers", kStringList, nil},
		{"DockerLabels", "dockerLabels", kStringMap, nil},
		{"DockerSecurityOptions", "dockerSecurityOptions", kStringList, nil},
		{"EntryPoint", "entryPoint", kStringList, nil},
		{"Environment", "environment", kObjectList, keyValuePairShape},
		{"EnvironmentFiles", "environmentFiles", kObjectList, environmentFileShape},
		{"Essential", "essential", kBoolean, nil},
		{"ExtraHosts", "extraHosts", kObjectList, hostEntryShape},
		{"FirelensConfiguration", "firelensConfiguration", kObject, firelensShape},
		{"HealthCheck", "healthCheck", kObject, healthCheckShape},
		{"Hostname", "hostname", kString, nil},
		{"Image", "image", kString, nil},
		{"Interactive", "interactive", kBoolean, nil},
		{"Links", "links", kStringList, nil},
		{"LinuxParameters", "linuxParameters", kObject, linuxParametersShape},
		{"LogConfiguration", "logConfiguration", kObject, logConfigurationShape},
		{"Memory", "memory", kInteger, nil},
		{"MemoryReservation", "memoryReservation", kInteger, nil},
		{"MountPoints", "mountPoints", kObjectList, mountPointShape},
		{"Name", "name", kString, nil},
		{"PortMappings", "portMappings", kObjectList, portMappingShape},
		{"Privileged", "privileged", kBoolean, nil},
		{"PseudoTerminal", "pseudoTerminal", kBoolean, nil},
		{"ReadonlyRootFilesystem", "readonlyRootFilesystem", kBoolean, nil},
		{"RepositoryCredentials", "repositoryCredentials", kObject, repositoryCredentialsShape},
		{"ResourceRequirements", "resourceRequirements", kObjectList, resourceRequirementShape},
		{"RestartPolicy", "restartPolicy", kObject, restartPolicyShape},
		{"Secrets", "secrets", kObjectList, secretShape},
		{"StartTimeout", "startTimeout", kInteger, nil},
		{"StopTimeout", "stopTimeout", kInteger, nil},
		{"SystemControls", "systemControls", kObjectList, systemControlShape},
		{"Ulimits", "ulimits", kObjectList, ulimitShape},
		{"User", "user", kString, nil},
		{"VersionConsistency", "versionConsistency", kString, nil},
		{"VolumesFrom", "volumesFrom", kObjectList, volumeFromShape},
		{"WorkingDirectory", "workingDirectory", kString, nil},
	}}

	// taskDefinitionShape is the resource's Properties. Cpu and Memory are
	// strings at the task level (as in the API), integers on containers.
	taskDefinitionShape = &shape{"AWS::ECS::TaskDefinition", []prop{
		{"ContainerDefinitions", "containerDefinitions", kObjectList, containerDefinitionShape},
		{"Cpu", "cpu", kString, nil},
		{"EnableFaultInjection", "enableFaultInjection", kBoolean, nil},
		{"EphemeralStorage", "ephemeralStorage", kObject, ephemeralStorageShape},
		{"ExecutionRoleArn", "executionRoleArn", kString, nil},
		{"Family", "family", kString, nil},
		{"InferenceAccelerators", "inferenceAccelerators", kObjectList, inferenceAcceleratorShape},
		{"IpcMode", "ipcMode", kString, nil},
		{"Memory", "memory", kString, nil},
		{"NetworkMode", "networkMode", kString, nil},
		{"PidMode", "pidMode", kString, nil},
		{"PlacementConstraints", "placementConstraints", kObjectList, placementConstraintShape},
		{"ProxyConfiguration", "proxyConfiguration", kObject, proxyConfigurationShape},
		{"RequiresCompatibilities", "requiresCompatibilities", kStringList, nil},
		{"RuntimePlatform", "runtimePlatform", kObject, runtimePlatformShape},
		{"Tags", "tags", kTags, nil},
		{"TaskRoleArn", "taskRoleArn", kString, nil},
		{"Volumes", "volumes", kObjectList, volumeShape},
	}}
)
