import { ResourceController } from '../../workspaces/resource-controller';
import { CreateMemoDto, MemoView, UpdateMemoDto } from './memo.dto';
import { MemosService } from './memos.service';

export class MemosController extends ResourceController({
  path: 'memos',
  subject: 'Memo',
  eventSubject: 'memo',
  service: MemosService,
  createDto: CreateMemoDto,
  updateDto: UpdateMemoDto,
  view: MemoView,
}) {}
