"""A ReAct agent to try ``polca optimize-agent`` on the offline ShopDesk environment.

From this folder::

    polca optimize-agent shopdesk_agent:agent --env polca.optimizer.domains.shopdesk:ShopDesk \
        --train-tasks cancel-mug,move-notebook,cancel-lamp --val-tasks cancel-chess,move-teapot,cancel-armchair \
        --model openai/gpt-4o --task-model openai/gpt-4o-mini

The seed instructions do not state the shop's policy (verify identity, get confirmation,
accepted cancellation reasons); the judge's feedback does, so the search can learn it.
"""

from polca.optimizer.domains.agent import ReActAgent

agent = ReActAgent("conversation -> reply", max_iters=6)
