using Collectors.Cli;

return await CollectorsCli.RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
