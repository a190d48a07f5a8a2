using Infra;

return await Pulumi.Deployment.RunAsync<MeshStack>();
