import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';

const PART_SCHEMA = {
  type: 'object',
  additionalProperties: true,
  required: ['type'],
  properties: { type: { type: 'string', example: 'text' } },
};

/**
 * An AI SDK UIMessage. Parts take many shapes (text, reasoning, tool and data parts) that the AI SDK
 * owns, so they are checked only as objects; what the service reads from them is checked where used.
 */
export class UIMessageDto {
  @ApiProperty({ example: 'msg-1' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  id: string;

  @ApiProperty({ enum: ['system', 'user', 'assistant'] })
  @IsIn(['system', 'user', 'assistant'])
  role: 'system' | 'user' | 'assistant';

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;

  @ApiProperty({ type: 'array', items: PART_SCHEMA, example: [{ type: 'text', text: 'Hello' }] })
  @IsArray()
  @ArrayMaxSize(1000)
  @IsObject({ each: true })
  parts: Record<string, unknown>[];
}

/** The body `DefaultChatTransport` POSTs. */
export class ChatRequestDto {
  @ApiProperty({ description: "The client's chat id; the thread id in the path wins" })
  @IsString()
  @MaxLength(200)
  id: string;

  @ApiProperty({
    type: [UIMessageDto],
    description:
      "Only the last message is read: a user message with a text part, or the assistant message carrying the user's approval responses",
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @ValidateNested({ each: true })
  @Type(() => UIMessageDto)
  messages: UIMessageDto[];

  @ApiProperty({ enum: ['submit-message', 'regenerate-message'] })
  @IsIn(['submit-message', 'regenerate-message'])
  trigger: 'submit-message' | 'regenerate-message';

  @ApiPropertyOptional({ description: 'Id for the assistant message the run produces' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  messageId?: string;
}
