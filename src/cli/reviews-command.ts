import type { Command } from 'commander';
import { renderReviewDetail, renderReviewList, reviewOutcome } from '../reviews/review-text.js';
import type { CliContext } from './cli-context.js';

/** `rotor reviews list|show`: the reviews that happened on their own and what came of them. */
export function registerReviewsCommand(program: Command, context: CliContext): void {
  const reviews = program.command('reviews').description('The monthly, quarterly, annual and access reviews: list them, show one');

  reviews
    .command('list')
    .description('Reviews newest first: kind, period, when it started, what it found or how the owners answered')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const service = context.runtime().reviews;
      const listed = service.list().map((review) => ({ review, outcome: reviewOutcome(review, service.items(review.id)) }));
      if (options.json) context.printJson(listed.map(({ review, outcome }) => ({ ...review, outcome })));
      else context.print(renderReviewList(listed));
    });

  reviews
    .command('show')
    .description("One review: its findings, or for the access review every secret, its readers and the owner's answer")
    .argument('<review>', 'a review id (3 or #3), or a kind and period such as "access 2027-Q1"')
    .option('--json', 'print JSON')
    .action((reference: string, options: { json?: boolean }) => {
      const service = context.runtime().reviews;
      const review = service.find(reference);
      const items = service.items(review.id);
      if (options.json) context.printJson({ ...review, outcome: reviewOutcome(review, items), items });
      else context.print(renderReviewDetail(review, items));
    });
}
