using Precision.Training;

return TrainingCli.Run(args, Console.Out, Console.Error);
