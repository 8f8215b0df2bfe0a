package contract

import "testing"

func TestServiceArnKeepsThePartition(t *testing.T) {
	for _, tc := range []struct {
		name string
		task *Task
		want string
	}{
		{"standalone task", &Task{Cluster: "c", ClusterArn: "arn:aws:ecs:us-east-1:1:cluster/c"}, ""},
		{"nil task", nil, ""},
		{"aws", &Task{Service: "web", Cluster: "prod", Region: "us-east-1", Account: "123456789012",
			ClusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/prod"},
			"arn:aws:ecs:us-east-1:123456789012:service/prod/web"},
		{"aws-cn", &Task{Service: "web", Cluster: "prod", Region: "cn-north-1", Account: "123456789012",
			ClusterArn: "arn:aws-cn:ecs:cn-north-1:123456789012:cluster/prod"},
			"arn:aws-cn:ecs:cn-north-1:123456789012:service/prod/web"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.task.ServiceArn(); got != tc.want {
				t.Fatalf("ServiceArn = %q, want %q", got, tc.want)
			}
		})
	}
}
