using Infra.Cli;

return InfraCommand.Run(args, Console.Out, Console.Error);
